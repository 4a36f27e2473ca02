"""The process pool that renders images on every core.

Rendering is CPU-bound Python: in threads it would take the GIL from the event loop (and from
every redirect the process serves), on the event loop it would stall everything. So images
render in other processes and the event loop only waits for them.

One pool per process (`process_pool()`): the API's image misses and, in `qrforge serve`, the
embedded worker's bulk jobs share it. Its processes start on first use and stop when its owner
(the API's lifespan) shuts it down; a later use starts new ones. `forkserver` starts them from a
clean process, not from a copy of one running an event loop and threads.

Every task runs under limits, since its input may be hostile (a logo is anybody's bytes):
`timeout` seconds of CPU time and `wall_timeout` seconds of wall clock (Python-level timers,
turned into a refusal; CPU time is what a task costs, and does not trip on a busy host), a
kernel CPU limit behind them for code stuck in C (it kills the process), and `memory` bytes
of address space per process (an allocation past it fails; a process that dies of it is
replaced). The caller gets a typed refusal (`RENDER_LIMIT`) either way, never a crash.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import cache
from types import FrameType
from typing import Any, TypeVar, cast

from app.errors import InvalidInput
from app.rendering.logo import load_logo
from app.rendering.render import Drawn, Rendered, RenderTask, render
from app.rendering.style import Style

T = TypeVar("T")

FORKSERVER = multiprocessing.get_context("forkserver")
# The fork server imports the renderer once, so each new render process is ready at once
# (rather than spending a third of a second on imports before its first image).
PRELOAD = ["__main__", __name__]
# Images per hand-off from a bulk job: enough to keep the IPC cheap, few enough that an image
# miss queued behind a bulk job waits for a few images rather than for the whole job.
CHUNK = 8
RENDER_LIMIT = "RENDER_LIMIT"
# The largest honest task (4096 px, gradient, rounded modules, a 1 MB logo) draws in about a
# second and peaks near 400 MB of address space (the interpreter and its libraries are
# ~250 MB of it); a task past these is hostile or broken.
TIMEOUT = 10.0  # CPU seconds
WALL_TIMEOUT = 60.0  # seconds on the clock: a task should never wait on anything, but a bound
MEMORY = 1024 * 1024 * 1024
CPU_SLACK = 2  # CPU seconds past the alarm before the kernel kills a task stuck in C


class _Overrun(Exception):
    pass


# This render process's limits, set at its start.
_limits = {"timeout": TIMEOUT, "wall_timeout": WALL_TIMEOUT, "memory": MEMORY}


def _start_process(timeout: float, wall_timeout: float, memory: int) -> None:
    """Each render process's initializer: its memory limit for life, its time limits per task."""
    _limits.update(timeout=timeout, wall_timeout=wall_timeout, memory=memory)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGPROF, _alarm)  # ITIMER_PROF: CPU time
    signal.signal(signal.SIGALRM, _alarm)  # ITIMER_REAL: the clock


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Overrun(signum)


def _refusal(message: str) -> InvalidInput:
    return InvalidInput.one(RENDER_LIMIT, message, ("style",))


@contextmanager
def _limited() -> Iterator[None]:
    timeout, wall = float(_limits["timeout"]), float(_limits["wall_timeout"])
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + timeout) + CPU_SLACK
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))
    signal.setitimer(signal.ITIMER_PROF, timeout)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    except _Overrun as overrun:
        spent = f"{timeout:g} s of CPU" if overrun.args == (signal.SIGPROF,) else f"{wall:g} s"
        raise _refusal(f"drawing this image took more than {spent}") from None
    except MemoryError:
        mb = int(_limits["memory"]) // 2**20
        raise _refusal(f"drawing this image needs more than {mb:,} MB") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)


def _render(task: RenderTask) -> Rendered:
    text, style, fmt, size, logo = task
    with _limited():
        return render(text, Style.from_dict(style), fmt, size=size, logo=logo)


def check_logo(data: bytes) -> InvalidInput | None:
    """Decode the logo as a render would (an SVG drawn once, small); the refusal or None."""
    try:
        with _limited():
            load_logo(data)
    except InvalidInput as error:
        return error
    return None


def render_image(task: RenderTask) -> bytes | str:
    """The image, or why it cannot be drawn (a person's sentence, as for userErrors)."""
    try:
        return _render(task).data
    except InvalidInput as error:
        return str(error)


def render_images(tasks: Sequence[RenderTask]) -> list[bytes | str]:
    return [render_image(task) for task in tasks]


def render_drawn(task: RenderTask) -> Drawn | str:
    """The image and its symbol's version, level and mask (a label sheet draws the same
    symbol again from them, cheaply), or why it cannot be drawn."""
    try:
        rendered = _render(task)
    except InvalidInput as error:
        return str(error)
    return rendered.data, rendered.version, rendered.error_correction, rendered.mask


def render_drawn_all(tasks: Sequence[RenderTask]) -> list[Drawn | str]:
    return [render_drawn(task) for task in tasks]


def render_or_refusal(task: RenderTask) -> Rendered | InvalidInput:
    """The image, or the refusal with its problems. Returned rather than raised: an exception
    raised in a render process comes back wrapped in the text of its remote traceback."""
    try:
        return _render(task)
    except InvalidInput as error:
        return error


class RenderPool:
    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float = TIMEOUT,
        wall_timeout: float = WALL_TIMEOUT,
        memory: int = MEMORY,
    ) -> None:
        self.workers = workers or os.cpu_count() or 2
        self.timeout = timeout
        self.wall_timeout = wall_timeout
        self.memory = memory
        self._executor: ProcessPoolExecutor | None = None
        self._bulk_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def render_one(self, task: RenderTask) -> Rendered:
        """The image; raises `InvalidInput` when the renderer refuses it."""
        result = await self._run(render_or_refusal, task)
        if isinstance(result, InvalidInput):
            raise result
        return result

    async def check_logo(self, data: bytes) -> None:
        """Raises `InvalidInput` (INVALID_LOGO, RENDER_LIMIT) for a logo that cannot be drawn."""
        refusal = await self._run(check_logo, data)
        if refusal is not None:
            raise refusal

    async def render_many(
        self,
        tasks: Sequence[RenderTask],
        fn: Callable[[Sequence[RenderTask]], list[T]] = render_images,  # type: ignore[assignment]
    ) -> list[T]:
        """Render `tasks` in order (with `fn`, render_images by default), CHUNK per hand-off.
        At most two hand-offs per process wait in the pool at a time (one running, one
        ready), so `render_one` calls are not stuck behind a whole bulk job."""
        loop = asyncio.get_running_loop()  # an asyncio semaphore works in one event loop only
        if self._bulk_slots is None or self._bulk_slots[0] is not loop:
            self._bulk_slots = (loop, asyncio.Semaphore(2 * self.workers))
        slots = self._bulk_slots[1]

        async def chunk(start: int) -> list[T]:
            part = tasks[start : start + CHUNK]
            async with slots:
                try:
                    return await self._run(fn, part)
                except InvalidInput:
                    pass  # a process died on this chunk: find the task that killed it
                return [await self._alone(fn, one) for one in part]

        running = [asyncio.ensure_future(chunk(i)) for i in range(0, len(tasks), CHUNK)]
        try:
            done = await asyncio.gather(*running)
        except BaseException:
            for future in running:
                future.cancel()
            raise
        return [image for images in done for image in images]

    async def _alone(self, fn: Callable[[Sequence[RenderTask]], list[T]], task: RenderTask) -> T:
        try:
            [result] = await self._run(fn, [task])
        except InvalidInput as error:
            return cast(T, str(error))  # every fn answers a refusal as its sentence
        return result

    async def shutdown(self) -> None:
        """Stop the processes: queued renders are cancelled, running ones end first."""
        executor, self._executor, self._bulk_slots = self._executor, None, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    async def _run(self, fn: Callable[[Any], T], arg: Any) -> T:
        """`fn(arg)` in a render process. When a process dies under it (killed past its CPU
        limit, out of memory, or by anyone), every task in flight fails with it: each is tried
        once more in fresh processes, and a task that breaks those too is refused."""
        for _ in range(2):
            executor = self._start()
            try:
                # Handed over from a thread: a hand-off may start a process (and the fork
                # server, the first time), milliseconds to a third of a second kept off the
                # event loop.
                future: Future[T] = await asyncio.to_thread(executor.submit, fn, arg)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                # This executor can run nothing more, so the next task starts a new one.
                if self._executor is executor:
                    self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
        raise _refusal("a render process ran out of time or memory drawing this image")

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            FORKSERVER.set_forkserver_preload(PRELOAD)  # no effect once the fork server runs
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=FORKSERVER,
                initializer=_start_process,
                initargs=(self.timeout, self.wall_timeout, self.memory),
            )
        return self._executor


@cache
def process_pool() -> RenderPool:
    return RenderPool()


async def render_many(tasks: Sequence[RenderTask]) -> list[Drawn | str]:
    """Bulk jobs' renderer: `tasks` on every core, in order, with their symbols."""
    return await process_pool().render_many(tasks, render_drawn_all)
