"""A cost limit for GraphQL operations, checked before anything runs.

Every field costs 1; a field that takes `first` (a connection) multiplies what is selected
below it by `first`, or by the default page size when it is not given. So
`links(first: 100) { edges { node { scans(first: 100) { ... } } } }` costs about 100 × 100
× the scan fields and is refused, while a full page of 100 links with their fields is not.

Fields whose work is not one row are priced by what they do:
- `analytics` (of a link or a workspace): each figure asked for is a query of its own
  (QUERY_COST) that reads the range's buckets (days, or hours for an HOUR interval), and
  answers about that many values: figures × buckets × what is selected under each.
- `scans` under a link is a query per link (QUERY_COST) on top of its page.
- `renderQr` pays for its pixels: RENDER_COST plus one point per PIXELS_PER_POINT.
Depth, aliases and tokens are limited separately by strawberry's own extensions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import (
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from app.domain.pagination import DEFAULT_PAGE
from app.domain.scans.analytics import DEFAULT_RANGE
from app.rendering.style import DEFAULT_SIZE

# A dashboard page of 100 links with their counts and a month's daily series costs about
# 13,200 (tests/api/test_graphql_cost.py); 20,000 leaves room for a workspace chart beside it.
MAX_COST = 20_000
# A database round trip with an aggregate: about what ten plain fields cost to resolve.
QUERY_COST = 10
# Rendering a code: the encode and scannability check, then about a point per 128 × 128
# pixels (a 4096 px PNG takes ~0.4 s of a core, a 512 px one a hundredth of that).
RENDER_COST = 10
PIXELS_PER_POINT = 128 * 128
DAY = timedelta(days=1)


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


class _Walk:
    """What pricing a selection needs besides the selection itself."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables


def _cost(
    selections: SelectionSetNode | None,
    parent: Any,
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: frozenset[str],
) -> int:
    return _selection_cost(selections, parent, _Walk(schema, fragments, variables), seen)


def _selection_cost(
    selections: SelectionSetNode | None, parent: Any, walk: _Walk, seen: frozenset[str]
) -> int:
    total = 0
    for node, owner in _fields(selections, parent, walk.schema, walk.fragments, seen):
        definition = getattr(owner, "fields", {}).get(node.name.value)
        if definition is None:  # __typename and friends, or a field validation will refuse
            continue
        named = get_named_type(definition.type)
        if named.name.endswith("Analytics"):
            total += 1 + _analytics_cost(node, named, walk, seen)
            continue
        below = _selection_cost(node.selection_set, named, walk, seen)
        times = _first(node, walk.variables) if "first" in definition.args else 1
        total += 1 + times * below
        if node.name.value == "scans" and owner.name == "Link":
            total += QUERY_COST
        elif node.name.value == "renderQr":
            total += RENDER_COST + _render_pixels(node, walk.variables) // PIXELS_PER_POINT
    return total


def _analytics_cost(node: FieldNode, owner: Any, walk: _Walk, seen: frozenset[str]) -> int:
    buckets = _buckets(node, walk.variables)
    total = 0
    for figure, _ in _fields(node.selection_set, owner, walk.schema, walk.fragments, seen):
        definition = getattr(owner, "fields", {}).get(figure.name.value)
        if definition is None:
            continue
        if figure.name.value in ("from", "to"):  # the range itself: no query
            total += 1
            continue
        below = _selection_cost(figure.selection_set, get_named_type(definition.type), walk, seen)
        times = _first(figure, walk.variables) if "first" in definition.args else 1
        total += QUERY_COST + buckets * max(1, times * below)
    return total


def _value(value: ValueNode | None, variables: Mapping[str, Any]) -> Any:
    """A literal argument's value, or the variable's; None when neither says."""
    if isinstance(value, VariableNode):
        return variables.get(value.name.value)
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, StringValueNode | EnumValueNode):
        return value.value
    if isinstance(value, ObjectValueNode):
        return {f.name.value: _value(f.value, variables) for f in value.fields}
    return None


def _argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value == name:
            return _value(argument.value, variables)
    return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _buckets(node: FieldNode, variables: Mapping[str, Any]) -> int:
    """The buckets an analytics figure reads: the range in hours for an HOUR interval, in
    days for the others (a month's breakdown reads the month's days)."""
    start = _moment(_argument(node, "from", variables))
    end = _moment(_argument(node, "to", variables))
    try:
        if end is None:
            end = start + DEFAULT_RANGE if start is not None else datetime.now(UTC)
        if start is None:
            start = end - DEFAULT_RANGE
    except OverflowError:  # a range at the ends of time, which the field refuses
        return 1
    unit = timedelta(hours=1) if _argument(node, "interval", variables) == "HOUR" else DAY
    return max(1, math.ceil(max(end - start, timedelta(0)) / unit) + 1)  # partial ends count


def _render_pixels(node: FieldNode, variables: Mapping[str, Any]) -> int:
    given = _argument(node, "input", variables)
    size = None
    if isinstance(given, dict):
        style = given.get("style")
        size = given.get("size") or (style.get("size") if isinstance(style, dict) else None)
    side = size if isinstance(size, int) and size > 0 else DEFAULT_SIZE
    return int(side) * int(side)


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
                    f"This query would cost {cost} points; the limit is {MAX_COST}. Ask for "
                    "smaller pages (first), fewer nested connections, shorter analytics "
                    "ranges or coarser intervals, or fewer and smaller renders.",
                    extensions={"code": "BAD_USER_INPUT", "cost": cost, "maxCost": MAX_COST},
                )
                context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
