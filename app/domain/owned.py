"""The one tenant check every lookup by id goes through."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.models import Model

from app.errors import NotFound

M = TypeVar("M", bound=Model)


async def owned(model: type[M], what: str, **lookup: Any) -> M:
    """The row `lookup` names (which includes its workspace), else NotFound: a row of another
    workspace answers exactly as a missing one."""
    row = await model.get_or_none(**lookup)
    if row is None:
        raise NotFound.of(what)
    return row
