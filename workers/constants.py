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


# Rendered images, keyed by the content hash of payload + style + format + size: a design
# change is a new key, so nothing is ever invalidated by hand; the TTL only frees memory.
IMAGE_CACHE = "{ns}:img:{key}"
IMAGE_CACHE_TTL = 7 * 24 * 3600
# Bigger images (4096 px JPEGs) are rendered on demand rather than crowding Redis.
IMAGE_CACHE_MAX_BYTES = 2_000_000
# Logos fetched from https URLs; an hour keeps re-renders from refetching on every miss
# while a changed logo still shows up the same day.
LOGO_CACHE = "{ns}:logo:{digest}"
LOGO_CACHE_TTL = 3600
# The size the render job warms: imageUrl's default, so the common request is a hit.
WARM_IMAGE_SIZE = 512
WARM_IMAGE_FORMATS = ("PNG", "SVG")
# A design change re-renders its codes: ids are read and enqueued this many at a time.
RENDER_DESIGN_BATCH = 500

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
# Once a minute one worker queues again the due attempt of PENDING deliveries arq has no job
# for (an enqueue that failed, a job that raised, a worker that died on arq's last try), or
# ends them FAILED when their schedule is over. Namespaced like the bulk sweep's name.
WEBHOOK_SWEEP_JOB = "{ns}:sweep_webhook_deliveries"
# An attempt due this long ago is looked at: a row is written a moment before its job is
# queued, and a minute is far beyond that moment and short beside the schedule's steps.
WEBHOOK_SWEEP_GRACE = 60
# Deliveries looked at per run (of retries, and of first attempts): one query each and one
# Redis round trip for all their jobs. A backlog of lost jobs drains this many a minute.
WEBHOOK_SWEEP_BATCH = 500

# -- scans: the redirect's stream and its ingestion (issue 4) ---------------------------------

# The stream the redirect appends scans to: one XADD per group of redirects that arrived
# together, each entry carrying one or more scans (app/domain/scans/stream.py).
SCAN_STREAM = "{ns}:scans"
# The most scans one entry carries; a busier moment makes more entries.
SCANS_PER_ENTRY = 200
# A memory bound, not a retention policy: entries are acknowledged within seconds, so the
# stream only gets this long when ingestion has been down for a long time; past it the oldest
# entries are trimmed (approximately, which is what keeps XADD O(1)).
SCAN_STREAM_MAXLEN = 1_000_000
# One consumer group for every worker: each entry goes to exactly one of them.
SCAN_GROUP = "ingest"
# Entries read at once; their scans are stored SCAN_INSERT_ROWS at a time.
SCAN_BATCH = 50
# One INSERT, and one upsert per rollup table, for this many scans: 1000 keeps the SQL under
# both databases' parameter limits (15 per row) and a transaction well under a second.
SCAN_INSERT_ROWS = 1000
# How long an idle consumer waits for new entries in one XREADGROUP call.
SCAN_BLOCK_MS = 1_000
# A pending entry this old belongs to a consumer that crashed (a batch takes well under a
# second), so another consumer claims and stores it; the insert is idempotent either way.
SCAN_RECLAIM_IDLE_MS = 30_000
# After an ingestion error (database restart, say), wait before trying again.
SCAN_RETRY_DELAY = 1.0
# `scan.created` emits in flight at once per batch: each waits on Redis round trips (pub/sub
# and the webhook job), so overlapping them is what keeps ingestion ahead of the redirects.
SCAN_EMIT_CONCURRENCY = 32

# Per-link scan counter that makes scanLimit exact across processes (seeded from the database).
SCAN_COUNTER = "{ns}:link:{id}:scans"
# The redirect's cache of resolved links, shared by the API processes.
LINK_CACHE = "{ns}:link:slug:{slug}"
# Seconds a link stays in Redis and in each process; updates and deletes evict it at once
# through pub/sub, the TTLs only bound staleness when an event is missed (Redis restart).
LINK_CACHE_TTL = 300
LOCAL_LINK_CACHE_TTL = 30
LOCAL_LINK_CACHE_SIZE = 50_000
# An unknown slug is remembered briefly so a flood of bad slugs does not reach the database;
# `link.created` evicts it, so a new link works at once.
MISSING_LINK_TTL = 5
# The redirect's Redis calls give up quickly: a scan then goes to the local spool and the
# link comes from the process cache or the database, so a dead Redis costs milliseconds.
HOT_REDIS_TIMEOUT = 0.25
# After a Redis failure the redirect skips Redis for this long instead of timing out on
# every request; the next request after it tries again.
HOT_REDIS_BACKOFF = 1.0
# How often the spool of scans written while Redis was down is replayed into the stream.
SPOOL_REPLAY_INTERVAL = 1.0
# Scans per XADD when replaying the spool.
SPOOL_REPLAY_BATCH = SCANS_PER_ENTRY

# A bulk job of 10,000 codes takes about a minute; ten mean something is stuck. Three tries
# ride out a worker restart: a rerun resumes where the last committed batch left off.
BULK_JOB_TIMEOUT = 600
BULK_JOB_TRIES = 3
# The arq job id of a bulk job, from its BulkJob id: the sweeper can ask arq about the job.
BULK_JOB_ID = "{ns}:bulk:{job}"
# A try that raised (or ran out of time) runs again after job_try times this: arq only reruns
# a job that raises Retry. 5 s, then 10 s: a database restart is over by the third try.
BULK_JOB_RETRY_DELAY = 5
# A try ends itself at the bulk job timeout, then retries or marks the job FAILED; arq's own
# time-out, which fails the arq job without either, comes this much later as a backstop.
BULK_JOB_TIMEOUT_SLACK = 5
# Once a minute one worker marks FAILED the unfinished bulk jobs that arq has nothing left to
# run for (a worker that died on the last try, an enqueue that never reached Redis). The cron
# job's name carries the namespace: arq's cron job ids are its name and a time, and deployments
# sharing a Redis would otherwise take each other's runs.
BULK_SWEEP_JOB = "{ns}:sweep_bulk_jobs"
# Younger jobs are left alone: a row is stored a moment before its arq job is queued.
BULK_SWEEP_GRACE = 60
# Once a minute one worker deletes the job results past QRFORGE_RESULT_TTL (named like the
# bulk sweep, for the same reason).
RESULT_SWEEP_JOB = "{ns}:sweep_results"
# Raw scans past QRFORGE_SCAN_RETENTION_DAYS go once a day, at a quiet hour (UTC).
SCAN_RETENTION_JOB = "{ns}:delete_old_scans"
SCAN_RETENTION_HOUR, SCAN_RETENTION_MINUTE = 3, 17
