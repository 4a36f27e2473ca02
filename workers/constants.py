"""Queue names, key prefixes and the numbers that tune the worker, each with its reason.

Every Redis key starts with the deployment's namespace (QRFORGE_REDIS_NAMESPACE), so one
Redis can serve several deployments, and each test run gets a namespace of its own.
"""

from __future__ import annotations

# One queue for everything: jobs are short and ids only, so a second queue buys nothing yet.
QUEUE = "{ns}:queue"

# arq retries a job that raised; 5 tries ride out a database restart of a few seconds.
MAX_TRIES = 5
# A job that takes longer than this is stuck, not slow (bulk jobs set their own).
JOB_TIMEOUT = 60


def key(template: str, ns: str, **parts: object) -> str:
    return template.format(ns=ns, **parts)
