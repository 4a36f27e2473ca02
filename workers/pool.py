"""The process pool that renders images on every core.

Rendering is CPU-bound Python: threads would take turns on one core, and on the event loop it
would stall every other job. One pool per process, started on first use; `forkserver` starts
workers from a clean process, not from a copy of one running an event loop and threads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from typing import Any

from app.domain.errors import InvalidInput
from app.rendering.render import render
from app.rendering.style import Style

Task = tuple[str, dict[str, Any], str, int, bytes | None]


def render_image(task: Task) -> bytes | str:
    """The image, or why it cannot be drawn (a person's sentence, as for userErrors)."""
    text, style, fmt, size, logo = task
    try:
        return render(text, Style.from_dict(style), fmt, size=size, logo=logo).data
    except InvalidInput as error:
        return str(error)


@cache
def process_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=os.cpu_count() or 2, mp_context=multiprocessing.get_context("forkserver")
    )


async def render_many(tasks: Sequence[Task]) -> list[bytes | str]:
    """Render `tasks` on every core, in order; a few dozen per hand-off keeps IPC cheap."""
    if not tasks:
        return []
    loop = asyncio.get_running_loop()
    chunks = max(1, len(tasks) // ((os.cpu_count() or 2) * 8))
    pool = process_pool()
    return await loop.run_in_executor(
        None, lambda: list(pool.map(render_image, tasks, chunksize=chunks))
    )
