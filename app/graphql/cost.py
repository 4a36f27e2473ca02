"""A cost limit for GraphQL operations, checked before anything runs.

Every field costs 1; a field that takes `first` (a connection) multiplies what is selected
below it by `first`, or by the default page size when it is not given. So
`links(first: 100) { edges { node { scans(first: 100) { ... } } } }` costs about 100 × 100
× the scan fields and is refused, while a full page of 100 links with their fields is not.
Depth, aliases and tokens are limited separately by strawberry's own extensions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from app.domain.pagination import DEFAULT_PAGE

MAX_COST = 20_000


def operation_cost(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    definitions = document.definitions
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    return _cost(operation.selection_set, root, schema, fragments, variables or {}, frozenset())


def _cost(
    selections: SelectionSetNode | None,
    parent: Any,
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: frozenset[str],
) -> int:
    total = 0
    for node, owner in _fields(selections, parent, schema, fragments, seen):
        definition = getattr(owner, "fields", {}).get(node.name.value)
        if definition is None:  # __typename and friends, or a field validation will refuse
            continue
        below = _cost(
            node.selection_set, get_named_type(definition.type), schema, fragments, variables, seen
        )
        times = _first(node, variables) if "first" in definition.args else 1
        total += 1 + times * below
    return total


def _fields(
    selections: SelectionSetNode | None,
    parent: Any,
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterator[tuple[FieldNode, Any]]:
    """The fields of a selection set, fragments flattened, each with the type that owns it."""
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            yield selection, parent
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            owner = schema.get_type(condition.name.value) if condition else parent
            yield from _fields(selection.selection_set, owner, schema, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            owner = schema.get_type(fragment.type_condition.name.value)
            yield from _fields(fragment.selection_set, owner, schema, fragments, seen | {name})


def _first(node: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(0, int(value.value))
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return max(0, given) if isinstance(given, int) else DEFAULT_PAGE
    return DEFAULT_PAGE


class CostLimit(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            cost = operation_cost(
                self.execution_context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            if cost > MAX_COST:
                error = GraphQLError(
                    f"This query would cost {cost} points; the limit is {MAX_COST}. "
                    "Ask for smaller pages (first) or fewer nested connections.",
                    extensions={"code": "BAD_USER_INPUT", "cost": cost, "maxCost": MAX_COST},
                )
                context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
