from __future__ import annotations

from pathlib import Path

from app.graphql.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_schema_graphql_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(), "schema.graphql is stale: run `qrforge schema`"
