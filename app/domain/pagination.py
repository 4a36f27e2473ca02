"""Keyset pagination over any workspace-scoped queryset, newest first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.queryset import QuerySet

from app.errors import InvalidInput

T = TypeVar("T")
MAX_PAGE = 100
DEFAULT_PAGE = 20


@dataclass
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    count: Callable[[], Awaitable[int]]  # total, run only when a client asks


async def paginate(qs: QuerySet[Any], first: int | None, after: int | None) -> Page[Any]:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidInput.one(
            "INVALID_PAGE", f"`first` must be between 0 and {MAX_PAGE}", ("first",)
        )
    window = qs.filter(id__lt=after) if after is not None else qs
    rows = await window.order_by("-id").limit(size + 1)
    return Page(rows[:size], len(rows) > size, qs.count)
