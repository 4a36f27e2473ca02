"""Files in the database, as rows of CHUNK bytes each (the default result store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from app.storage.models import ResultChunk

# Big enough that a 100 MB archive is a hundred rows, small enough to sit in memory twice.
CHUNK = 1024 * 1024


class DatabaseStore:
    async def put(self, key: str, source: Path) -> int:
        await self.delete(key)  # a rerun of a job stores its result afresh
        size, no = 0, 0
        with source.open("rb") as file:
            while data := await asyncio.to_thread(file.read, CHUNK):
                await ResultChunk.create(key=key, no=no, data=data)
                size, no = size + len(data), no + 1
        return size

    async def read(self, key: str) -> AsyncIterator[bytes]:
        no = 0
        while True:
            rows = await ResultChunk.filter(key=key, no=no).values_list("data", flat=True)
            if not rows:
                return
            yield bytes(rows[0])  # type: ignore[arg-type]
            no += 1

    async def delete(self, key: str) -> None:
        await ResultChunk.filter(key=key).delete()
