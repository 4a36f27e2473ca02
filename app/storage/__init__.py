"""Where jobs keep the files they produce, so every API replica can serve them.

By default the database holds them, in chunks (`DatabaseStore`): the embedded default and a
single PostgreSQL are enough. With `QRFORGE_STORAGE_URL=s3://bucket/prefix?endpoint=…` an
S3-compatible object store holds them instead (`S3Store`). Whoever serves a file also
decides who may have it; a store only keeps bytes under a key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from app.settings import Settings


class ResultStore(Protocol):
    async def put(self, key: str, source: Path) -> int:
        """Store the file at `source` under `key` (replacing what was there); its size."""
        ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The bytes under `key`, a chunk at a time; nothing when there is no such key."""
        ...

    async def delete(self, key: str) -> None:
        """Forget `key`; a key that is not there is no error."""
        ...


def open_store(settings: Settings) -> ResultStore:
    if settings.storage_url:
        from app.storage.s3 import S3Store

        return S3Store.from_url(settings.storage_url)
    from app.storage.database import DatabaseStore

    return DatabaseStore()
