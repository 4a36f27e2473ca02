"""No control characters anywhere in a GraphQL operation's input, checked before it runs.

Every string an operation carries (literals in the document and variable values, at any
depth of an input object or list) is held to `app.domain.text`'s multi-line rule: NUL and
the rest of the C0 set refused, tab, newline and carriage return allowed. The domain holds
one-line fields (names, titles, tags) to the stricter rule with a userError of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from app.domain.text import INVALID_CHARACTERS, control_character

MAX_WALK = 100_000  # values looked at in the variables; a body limit keeps them fewer anyway


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: str | None = None

    def enter_string_value(self, node: StringValueNode, *args: Any) -> None:
        if self.found is None:
            self.found = control_character(node.value, multi_line=True)


def _in_values(value: Any) -> str | None:
    stack, seen = [value], 0
    while stack and seen < MAX_WALK:
        item, seen = stack.pop(), seen + 1
        if isinstance(item, str):
            if found := control_character(item, multi_line=True):
                return found
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class ControlCharacters(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        found = _in_values(context.variables or {})
        if found is None and context.graphql_document is not None:
            literals = _Literals()
            visit(context.graphql_document, literals)
            found = literals.found
        if found is not None:
            error = GraphQLError(
                f"Control characters ({found}) are refused in text; tab, newline and carriage "
                "return are the only ones allowed, and only in multi-line fields.",
                extensions={"code": "BAD_USER_INPUT", "problem": INVALID_CHARACTERS},
            )
            context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
