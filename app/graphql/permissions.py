from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from app.graphql.context import Info


class HasScope(BasePermission):
    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.message = f"This API key lacks the '{scope}' scope."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.can(self.scope)


def requires(scope: str) -> list[FieldExtension]:
    """Field extensions that refuse callers without `scope` (FORBIDDEN, nothing runs)."""
    return [PermissionExtension(permissions=[HasScope(scope)], use_directives=False)]
