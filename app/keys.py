"""Every Redis key qrforge writes, each with its reason; a leaf: it imports nothing of ours.

Every key starts with the deployment's namespace (QRFORGE_REDIS_NAMESPACE), so one Redis can
serve several deployments, and each test run gets a namespace of its own. The numbers that
tune how a key is used (TTLs, sizes) live beside the class that uses it; the job queue's own
keys are arq's business and live in workers/queue.py alone.
"""

from __future__ import annotations


def key(template: str, ns: str, **parts: object) -> str:
    return template.format(ns=ns, **parts)


# The job queue. One for everything: jobs are short and carry ids only.
QUEUE = "{ns}:queue"

# Rendered images, keyed by the content hash of payload + style + format + size: a design
# change is a new key, so nothing is ever invalidated by hand; the TTL only frees memory.
IMAGE_CACHE = "{ns}:img:{key}"
# Logos fetched from https URLs, by the digest of their URL.
LOGO_CACHE = "{ns}:logo:{digest}"

# Unknown API keys a client sent this minute (by IP, IPv6 by /64): past a few, its keys are
# not looked at until the key expires (app/security/authfail.py).
FAILED_AUTH = "{ns}:authfail:{client}"

# The stream the redirect appends scans to: one XADD per group of redirects that arrived
# together, each entry carrying one or more scans (app/domain/scans/stream.py).
SCAN_STREAM = "{ns}:scans"
# One consumer group for every worker: each entry goes to exactly one of them.
SCAN_GROUP = "ingest"

# Per-link scan counter that makes scanLimit exact across processes (seeded from the database).
SCAN_COUNTER = "{ns}:link:{id}:scans"
# The redirect's cache of resolved links, shared by the API processes.
LINK_CACHE = "{ns}:link:slug:{slug}"
