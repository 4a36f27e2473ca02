"""How errors leave the GraphQL API.

Domain errors raised outside mutations (a bad `first`, say) become coded GraphQL errors;
anything unexpected is logged with the request id and masked, so no stack trace, SQL or
file path ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.errors import DomainError, NotFound, QuotaExceeded

log = logging.getLogger("qrforge.graphql")


def _code(error: DomainError) -> str:
    if isinstance(error, NotFound):
        return "NOT_FOUND"
    if isinstance(error, QuotaExceeded):
        return "QUOTA_EXCEEDED"
    return "BAD_USER_INPUT"


class ErrorPolicy(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [public for error in result.errors for public in self._public(error)]

    def _public(self, error: GraphQLError) -> list[GraphQLError]:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # Syntax and validation errors, and the errors we raised on purpose.
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            return [error]
        if isinstance(original, DomainError):
            # One error per problem, each with its field path, as userErrors are.
            codes = [p.code for p in original.problems]
            return [
                GraphQLError(
                    p.message,
                    path=error.path,
                    nodes=error.nodes,
                    extensions={
                        "code": _code(original),
                        "problem": p.code,
                        "field": list(p.field),
                        "problems": codes,
                    },
                )
                for p in original.problems
            ] or [
                GraphQLError(
                    original.__class__.__name__,
                    path=error.path,
                    nodes=error.nodes,
                    extensions={"code": _code(original), "problems": []},
                )
            ]
        request_id = self._request_id()
        log.error("unexpected error in %s (request %s)", error.path, request_id, exc_info=original)
        return [
            GraphQLError(
                "Internal server error.",
                path=error.path,
                nodes=error.nodes,
                extensions={"code": "INTERNAL", "requestId": request_id},
            )
        ]

    def _request_id(self) -> str:
        context = self.execution_context.context
        request = getattr(context, "request", None)
        return str(getattr(getattr(request, "state", None), "request_id", "-"))
