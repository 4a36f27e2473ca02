"""Relay plumbing shared by every domain: global ids, connections, payload errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from app.domain.pagination import Page
from app.errors import DomainError

# The resolvers read global ids through here too (the ids themselves are app.ids').
from app.ids import from_global_id as from_global_id
from app.ids import global_id
from app.ids import pk_of as pk_of

T = TypeVar("T")


def to_global_id(type_name: str, pk: int | None) -> strawberry.ID:
    if pk is None:  # an object of a dry run: it has no identity yet
        return strawberry.ID("")
    return strawberry.ID(global_id(type_name, pk))


def cursor_of(pk: int) -> str:
    return global_id("cursor", pk)


def after_pk(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    decoded = from_global_id(cursor)
    if decoded is None or decoded[0] != "cursor":
        raise GraphQLError("Invalid cursor.", extensions={"code": "BAD_USER_INPUT"})
    return decoded[1]


@strawberry.interface(description="An object with a global id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(cls, page: Page[Any], wrap: Callable[[Any], T]) -> Connection[T]:
        edges = [Edge(cursor=cursor_of(item.id), node=wrap(item)) for item in page.items]
        end = edges[-1].cursor if edges else None
        return cls(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=end),
            count=page.count,
        )


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: str


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(field=list(p.field) or None, message=p.message, code=p.code)
        for p in error.problems
    ]


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def given(input: object, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The fields a client actually sent in an input object (unset ones are left out)."""
    return {
        name: value
        for name, value in vars(input).items()
        if value is not strawberry.UNSET and name not in skip
    }
