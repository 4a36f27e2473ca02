"""The embedded redis-server: its memory policy, its lifetime, its files (issue 10, item 8)."""

from __future__ import annotations

from pathlib import Path

import redis

from app.embedded import EmbeddedRedis


def test_issue10_embedded_redis_has_a_memory_bound_that_spares_queues(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "redis") as embedded:
        client = redis.Redis.from_url(embedded.url)
        try:
            assert int(client.config_get("maxmemory")["maxmemory"]) == 512 * 2**20
            assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"
        finally:
            client.close()
