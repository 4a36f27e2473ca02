"""The numbers that tune the worker, and its cron jobs' names, each with its reason.

Redis keys the app shares with the worker are in app/keys.py, the job queue's names and ids
in workers/queue.py, and the app's own tunables beside the class that uses them.
"""

from __future__ import annotations

# arq retries a job that raised; 5 tries ride out a database restart of a few seconds.
MAX_TRIES = 5

# The size the render job warms: imageUrl's default, so the common request is a hit.
WARM_IMAGE_SIZE = 512
WARM_IMAGE_FORMATS = ("PNG", "SVG")
# A design change re-renders its codes: ids are read and enqueued this many at a time.
RENDER_DESIGN_BATCH = 500

# -- scans: ingestion of the redirect's stream (issue 4) --------------------------------------

# Entries read at once; their scans are stored SCAN_INSERT_ROWS at a time.
SCAN_BATCH = 50
# One INSERT, and one upsert per rollup table, for this many scans: 2000 keeps SQLite's SQL
# under its parameter limit (15 a row; PostgreSQL gets arrays) and a transaction short.
SCAN_INSERT_ROWS = 2000
# How long an idle consumer waits for new entries in one XREADGROUP call.
SCAN_BLOCK_MS = 1_000
# After an ingestion error (database restart, say), wait before trying again.
SCAN_RETRY_DELAY = 1.0
# `scan.created` emits in flight at once per batch: each waits on Redis round trips (pub/sub
# and the webhook job), so overlapping them is what keeps ingestion ahead of the redirects.
SCAN_EMIT_CONCURRENCY = 32

# -- bulk jobs --------------------------------------------------------------------------------

# Three tries ride out a worker restart: a rerun resumes where the last committed batch left
# off.
BULK_JOB_TRIES = 3
# A try that raised (or ran out of time) runs again after job_try times this: arq only reruns
# a job that raises Retry. 5 s, then 10 s: a database restart is over by the third try.
BULK_JOB_RETRY_DELAY = 5
# A try ends itself at the bulk job timeout, then retries or marks the job FAILED; arq's own
# time-out, which fails the arq job without either, comes this much later as a backstop.
BULK_JOB_TIMEOUT_SLACK = 5
# Bulk jobs running at once per worker process, on their own queue: a bulk job keeps the
# render pool busy, so a few at a time already use every core.
BULK_SLOTS = 4
# Bulk jobs running at once per workspace (across workers): a workspace that submits ten
# waits for its own, not everyone else. A job over the cap waits this long and looks again;
# waiting is not a try, and a job waits at most BULK_MAX_WAITS times (an hour).
BULK_PER_WORKSPACE = 2
BULK_WAIT_DELAY = 5
BULK_MAX_WAITS = 720
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
