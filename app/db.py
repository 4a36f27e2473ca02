"""Tortoise configuration: one app, every domain's models, Tortoise's own migrations."""

from __future__ import annotations

import os
from typing import Any

MODEL_MODULES = [
    "app.domain.workspaces.models",
    "app.domain.designs.models",
    "app.domain.domains.models",
    "app.domain.links.models",
    "app.domain.codes.models",
    "app.domain.scans.models",
    "app.domain.webhooks.models",
    "app.domain.bulk.models",
    "app.storage.models",
]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
        "apps": {"models": {"models": MODEL_MODULES, "migrations": "app.migrations"}},
        "use_tz": True,
        "timezone": "UTC",
    }


# For Tortoise's own CLI (`tortoise -c app.db.TORTOISE_ORM makemigrations`).
TORTOISE_ORM = tortoise_config(os.environ.get("QRFORGE_DATABASE_URL", "sqlite://:memory:"))
