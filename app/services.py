"""The shared clients a process holds, built once at start and handed to whoever needs them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property

from arq.connections import ArqRedis, RedisSettings, create_pool
from tortoise import Tortoise

from app.db import tortoise_config
from app.events import Events
from app.hub import EventHub
from app.jobs import Jobs
from app.keys import QUEUE, key
from app.settings import Settings
from app.storage import ResultStore, open_store

# How a process queues jobs: the worker package's implementation over arq (workers/queue.py),
# handed in by whoever starts the process, since the app does not import the worker.
JobsFactory = Callable[[ArqRedis, str], Jobs]


@dataclass
class Services:
    settings: Settings
    redis: ArqRedis  # a redis.asyncio client that can also enqueue arq jobs
    jobs: Jobs

    @property
    def events(self) -> Events:
        return Events(self.redis, self.settings.redis_namespace, self.jobs)

    @cached_property
    def hub(self) -> EventHub:
        """The process's one pub/sub connection, fanned out to its listeners (app.hub)."""
        return EventHub(self.events)

    @cached_property
    def results(self) -> ResultStore:
        """Where job results are kept, for every process alike (app.storage)."""
        return open_store(self.settings)


@asynccontextmanager
async def open_services(settings: Settings, jobs: JobsFactory) -> AsyncIterator[Services]:
    """Connect the ORM and Redis for the life of the block."""
    # The ORM's state is a context variable: the global fallback lets request tasks, which
    # uvicorn does not start inside the lifespan's task, see it (as tortoise.contrib does).
    await Tortoise.init(
        config=tortoise_config(settings.effective_database_url), _enable_global_fallback=True
    )
    redis = await create_pool(
        RedisSettings.from_dsn(settings.redis_url), default_queue_name=_queue(settings)
    )
    services = Services(settings=settings, redis=redis, jobs=jobs(redis, settings.redis_namespace))
    try:
        yield services
    finally:
        await services.hub.close()
        await redis.aclose()
        await Tortoise.close_connections()


def _queue(settings: Settings) -> str:
    return key(QUEUE, settings.redis_namespace)
