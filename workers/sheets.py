"""Label sheets are drawn in a process of their own, beside the render pool.

Drawing a sheet is CPU-bound Python and one PDF is one sequential stream, so it cannot be
spread over the pool: a single process writes it while the pool renders the next batch's
images, and the event loop only hands batches over. One batch is in flight at a time, so a
slow sheet holds the job back rather than piling labels up in memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.domain.bulk.runner import Label
from app.rendering.labels import SheetLayout
from app.rendering.pool import FORKSERVER, PRELOAD
from app.rendering.sheet import SheetWriter
from app.rendering.style import Style

DONE = "done"


def _write(path: str, layout: dict[str, Any], conn: Connection) -> None:
    writer = SheetWriter(path, SheetLayout.from_dict(layout))
    styles: dict[str, Style] = {}  # a job's labels mostly share one style: read it once
    try:
        while (batch := conn.recv()) is not None:
            for text, style, logo, lines, symbol in batch:
                key = json.dumps(style, sort_keys=True)
                if key not in styles:
                    styles[key] = Style.from_dict(style)
                writer.add(text, styles[key], lines, logo, tuple(symbol))
            conn.send(len(batch))
        conn.send((DONE, writer.close()))
    except EOFError:  # the job's process died or gave up: nothing is waiting for the sheet
        pass


class SheetProcess:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process, self.conn = process, conn
        self._waiting = False

    @classmethod
    async def start(cls, path: Path, layout: dict[str, Any]) -> SheetProcess:
        FORKSERVER.set_forkserver_preload(PRELOAD)
        parent, child = FORKSERVER.Pipe()
        process = FORKSERVER.Process(target=_write, args=(str(path), layout, child), daemon=True)
        await asyncio.to_thread(process.start)  # may start the fork server: off the loop
        child.close()
        return cls(process, parent)

    async def add(self, labels: Sequence[Label]) -> None:
        await self._settle()
        await asyncio.to_thread(self.conn.send, list(labels))
        self._waiting = True

    async def close(self) -> int:
        await self._settle()
        await asyncio.to_thread(self.conn.send, None)
        reply = await self._recv()
        await asyncio.to_thread(self.process.join, 10)
        self.conn.close()
        return int(reply[1])

    async def abort(self) -> None:
        self.process.kill()
        await asyncio.to_thread(self.process.join, 10)
        self.conn.close()

    async def _settle(self) -> None:
        if self._waiting:
            await self._recv()
            self._waiting = False

    async def _recv(self) -> Any:
        try:
            return await asyncio.to_thread(self.conn.recv)
        except EOFError:
            code = self.process.exitcode
            raise RuntimeError(f"the label sheet process ended (exit code {code})") from None


async def open_sheet(path: Path, layout: dict[str, Any]) -> SheetProcess:
    return await SheetProcess.start(path, layout)
