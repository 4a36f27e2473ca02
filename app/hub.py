"""One pub/sub connection per process, its events fanned out in memory.

Every listener in a process (each GraphQL subscription, the redirect's link cache, the
websocket guard) hears events through the process's `EventHub`, so a hundred subscriptions
cost Redis one connection, not a hundred. The hub subscribes to every family at once on
first use and keeps subscribing again after a dropped connection (a Redis restart); a
listener that cares what it may have missed meanwhile asks to hear `GAP`.

A listener that falls behind has at most `LISTENER_BUFFER` events waiting; past that its
new events are dropped (and logged), so one stuck socket never holds the process's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType

from redis.exceptions import RedisError

from app.events import RESUBSCRIBE_DELAY, Event, Events, family_of

log = logging.getLogger("qrforge.hub")

# Every family any listener may ask for: one SUBSCRIBE covers them all.
FAMILIES = ("link", "scan", "bulk", "key", "domain")
# Events one listener may have waiting: a few seconds of a busy workspace's scans.
LISTENER_BUFFER = 1000
# What listeners that asked for gaps hear after the connection was lost and events may
# have gone by unheard.
GAP = Event("hub.gap", 0, {})

Listener = Callable[[Event], None]


class EventHub:
    def __init__(self, events: Events, families: tuple[str, ...] = FAMILIES) -> None:
        self.events = events
        self.families = families
        self._listeners: dict[str, set[Listener]] = {family: set() for family in families}
        self._gap_listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()  # set while the connection is subscribed

    def watch(self, family: str, listener: Listener, *, gaps: bool = False) -> Callable[[], None]:
        """Call `listener` with each event of `family` (and GAP, if asked); returns the call
        that stops it. Listeners run in the hub's task: they must not block."""
        self._start()
        self._listeners[family].add(listener)
        if gaps:
            self._gap_listeners.add(listener)

        def stop() -> None:
            self._listeners[family].discard(listener)
            self._gap_listeners.discard(listener)

        return stop

    def follow(self, family: str, *, gaps: bool = False) -> Feed:
        """The events of `family` from now on, as `async with hub.follow(f) as feed: async
        for event in feed`; leaving the block stops them."""
        return Feed(self, family, gaps)

    def listening(self, family: str) -> int:
        """How many listeners hear `family` now."""
        return len(self._listeners.get(family, ()))

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="event-hub")

    async def _run(self) -> None:
        while True:
            try:
                async for event in self.events.listen(*self.families, on_subscribed=self._up):
                    for listener in tuple(self._listeners.get(family_of(event.type), ())):
                        self._call(listener, event)
            except (RedisError, OSError):
                log.warning("event subscription lost; subscribing again")
            except Exception:
                log.exception("event hub failed; subscribing again")
            self.subscribed.clear()
            for listener in tuple(self._gap_listeners):
                self._call(listener, GAP)
            await asyncio.sleep(RESUBSCRIBE_DELAY)

    def _up(self) -> None:
        self.subscribed.set()

    @staticmethod
    def _call(listener: Listener, event: Event) -> None:
        try:
            listener(event)
        except Exception:
            log.exception("event listener failed on %s", event.type)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class Feed:
    """One listener's queue of events (see `EventHub.follow`)."""

    def __init__(self, hub: EventHub, family: str, gaps: bool) -> None:
        self.family = family
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=LISTENER_BUFFER)
        self.dropped = 0
        self._stop = hub.watch(family, self._put, gaps=gaps)  # heard from now on

    def _put(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % LISTENER_BUFFER == 0:
                log.warning("a %s listener is behind; %d events dropped", self.family, self.dropped)

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._stop()

    async def __aenter__(self) -> Feed:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
