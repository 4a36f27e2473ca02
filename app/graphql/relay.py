"""Relay plumbing shared by every domain: global ids, connections, payload errors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from app.domain.errors import DomainError
from app.domain.pagination import Page

T = TypeVar("T")

# Primary keys are BIGINTs: a larger number names nothing, and the databases refuse it.
MAX_PK = 2**63 - 1


def to_global_id(type_name: str, pk: int | None) -> strawberry.ID:
    if pk is None:  # an object of a dry run: it has no identity yet
        return strawberry.ID("")
    return strawberry.ID(base64.b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything we did not make."""
    try:
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # int() also takes " 7", "+7", "7_0" and other scripts' digits: none of ours.
    if not (pk.isascii() and pk.isdigit() and len(pk) <= 19) or not 0 < int(pk) <= MAX_PK:
        return None
    return type_name, int(pk)


def pk_of(global_id: str, type_name: str) -> int | None:
    """The primary key inside `global_id` if it names a `type_name`, else None (not found)."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


def cursor_of(pk: int) -> str:
    return base64.b64encode(f"cursor:{pk}".encode()).decode()


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
