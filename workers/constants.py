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

# Webhooks. An event is queued once (its job id is the event's id), then one delivery job
# per attempt; the attempt number is in the job id, so a job run twice cannot fork a second
# chain of retries, and `series` keeps a manual redelivery apart from the automatic one.
DISPATCH_EVENT_JOB = "dispatch_event"
DELIVER_WEBHOOK_JOB = "deliver_webhook"
EVENT_JOB_ID = "{ns}:event:{event}"
DELIVERY_JOB_ID = "{ns}:webhook:{delivery}:{series}:{attempt}"
# Standard Webhooks' advice: a receiver answers at once and works later; 10 s is generous.
WEBHOOK_TIMEOUT = 10.0
# A Retry-After beyond the longest step of the schedule would park a delivery for days.
WEBHOOK_RETRY_AFTER_CAP = 24 * 3600
# An endpoint failing for this long is abandoned (disabled with the reason), as Svix does.
WEBHOOK_DISABLE_AFTER = 3 * 24 * 3600
