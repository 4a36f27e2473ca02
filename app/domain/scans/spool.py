"""The local fallback for scans captured while Redis is unreachable.

Each process appends to its own file under `<data_dir>/spool/`, one scan per line exactly as
the stream carries it (app/domain/scans/stream.py); a background task in every API process
replays the files into the scan stream once Redis answers again. Scans keep their event id,
so a file replayed twice (a crash mid-replay) stores each scan once.

Durability: every line is flushed to the operating system as it is written, so a crash of the
process loses nothing; an fsync per scan would cost a disk round trip per redirect, so a
power cut can lose the last seconds of spooled scans. That is the trade-off chosen here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO

from app.domain.scans.stream import decode

log = logging.getLogger("qrforge.spool")

ACTIVE_SUFFIX = ".jsonl"
CLAIMED_SUFFIX = ".replaying"


class Spool:
    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self._file: IO[bytes] | None = None

    @property
    def path(self) -> Path:
        return self.directory / f"scans-{self.pid}{ACTIVE_SUFFIX}"

    def append(self, line: bytes) -> None:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open
        self._file.write(line + b"\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def pending(self) -> bool:
        return self.directory.is_dir() and any(self._replayable())

    async def replay(self, send: Callable[[list[bytes]], Awaitable[None]], batch: int) -> int:
        """Hand every spooled scan line to `send` in batches; returns how many were sent.

        A file is deleted only after all of it was sent; if `send` raises (Redis gone
        again), the file stays and the next replay sends it again, duplicates included.
        """
        sent = 0
        for path in list(self._replayable()):
            claimed = self._claim(path)
            if claimed is None:
                continue
            entries = list(_read(claimed))
            for start in range(0, len(entries), batch):
                await send(entries[start : start + batch])
            claimed.unlink(missing_ok=True)
            sent += len(entries)
        return sent

    def _replayable(self) -> Iterator[Path]:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.iterdir()):
            if path.name.endswith((CLAIMED_SUFFIX, ACTIVE_SUFFIX)):
                # A file is ours, or left by a process that is gone (crashed mid-replay).
                owner = _owner(path)
                if owner == self.pid or (owner is not None and not _alive(owner)):
                    yield path

    def _claim(self, path: Path) -> Path | None:
        """Move a file out of the writer's way; the rename is atomic, one replayer wins."""
        if path == self.path:
            self.close()  # the next scan spooled starts a fresh file
        target = path.with_name(f"scans-{self.pid}-{time.time_ns()}{CLAIMED_SUFFIX}")
        try:
            path.rename(target)
        except FileNotFoundError:  # another process claimed it first
            return None
        return target


def _read(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            line = line.rstrip(b"\n")
            try:
                decode(line)
            except ValueError:
                # A line cut short by a crash mid-write: the rest of the file is still good.
                log.warning("skipping damaged line %d of %s", number, path)
                continue
            yield line


def _owner(path: Path) -> int | None:
    # scans-<pid>.jsonl while written, scans-<pid>-<ns>.replaying once claimed by <pid>.
    try:
        return int(path.name.removeprefix("scans-").split(".")[0].split("-")[0])
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
