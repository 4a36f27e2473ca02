"""Spool on a temporary directory: lines kept in order, a damaged line skipped, a file kept
when sending fails, and files of a live process left to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.domain.scans.spool import Spool
from app.domain.scans.stream import encode

LINES = [encode({"e": f"evt{n}", "l": "1"}) for n in range(5)]


async def collect(spool: Spool, batch: int = 2) -> list[list[bytes]]:
    sent: list[list[bytes]] = []

    async def send(lines: list[bytes]) -> None:
        sent.append(lines)

    await spool.replay(send, batch)
    return sent


async def test_spooled_lines_are_replayed_in_order_and_in_batches(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    assert not spool.pending()
    for line in LINES:
        spool.append(line)
    assert spool.pending()
    assert await collect(spool) == [LINES[0:2], LINES[2:4], LINES[4:5]]
    assert not spool.pending() and list(tmp_path.iterdir()) == []
    spool.append(LINES[0])  # a later scan starts a new file
    assert await collect(spool) == [LINES[0:1]]


async def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(LINES[0])
    spool.append(b'{"e": "cut sho')
    spool.append(LINES[1])
    assert await collect(spool, batch=10) == [[LINES[0], LINES[1]]]


async def test_a_failed_send_keeps_the_file_for_the_next_replay(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(LINES[0])

    async def down(lines: list[bytes]) -> None:
        raise ConnectionError("Redis is down again")

    with pytest.raises(ConnectionError):
        await spool.replay(down, 10)
    assert spool.pending()
    assert await collect(spool) == [LINES[0:1]]  # sent again, duplicates dropped downstream


async def test_another_live_process_keeps_its_file_a_dead_ones_is_taken(tmp_path: Path) -> None:
    live = Spool(tmp_path, pid=os.getppid())  # a process that is running
    live.append(LINES[0])
    live.close()
    dead = Spool(tmp_path, pid=2**22 + 12345)  # beyond pid_max: never a running process
    dead.append(LINES[1])
    dead.close()
    mine = Spool(tmp_path)
    assert await collect(mine, batch=10) == [[LINES[1]]]
    assert live.path.exists()
