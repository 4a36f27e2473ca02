"""Per-request DataLoaders, so a page of objects costs one query per relation, not one each."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from app.graphql.context import Info

M = TypeVar("M", bound=Model)


def rows_by_pk(info: Info, model: type[M]) -> DataLoader[int, M | None]:
    """`model` rows by primary key, in the caller's workspace only: one loader per model for
    the request, one query per batch of keys. On a websocket nothing is cached, so each
    event of a subscription reads fresh rows (loads of one event are still batched)."""
    loaders = info.context.loaders
    name = model.__name__
    if name not in loaders:
        workspace_id = info.context.workspace_id

        async def load(pks: list[int]) -> list[M | None]:
            rows: list[Any] = await model.filter(workspace_id=workspace_id, id__in=pks)
            by_pk = {row.pk: row for row in rows}
            return [by_pk.get(pk) for pk in pks]

        loaders[name] = DataLoader(load_fn=load, cache=not info.context.long_lived)
    return cast(DataLoader[int, M | None], loaders[name])
