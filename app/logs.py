"""What the server's log keeps: no signed URLs, and routine lines only at DEBUG.

A signed image or download URL is a credential until it expires, so an access-log line
keeps its path and drops a query that carries a signature (`sig=`). The once-a-minute sweeps
(arq logs each run twice) and Tortoise's start/stop lines are routine: they are logged at
DEBUG, so a terminal at INFO shows requests and real events, not a line every 15 s.
"""

from __future__ import annotations

import logging
import re

SIGNED = re.compile(r"(?:^|[?&])sig=", re.IGNORECASE)
ROUTINE_JOB = re.compile(r"[:\s]sweep_\w+")  # the cron sweeps' job ids name the sweep
ROUTINE_PREFIXES = {
    "tortoise": ("Tortoise-ORM startup", "Tortoise-ORM shutdown"),
    "arq.worker": ("recording health",),
}


class DropSignedQueries(logging.Filter):
    """uvicorn.access: `"GET /qr/1.png?size=512&exp=…&sig=…"` is logged as `/qr/1.png?…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            if query and SIGNED.search(query):
                record.args = (*args[:2], f"{path}?…", *args[3:])
        return True


class RoutineAtDebug(logging.Filter):
    """Turns routine INFO lines into DEBUG ones, shown only when DEBUG is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not _routine(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _routine(record: logging.LogRecord) -> bool:
    if record.name == "arq.worker" and ROUTINE_JOB.search(record.getMessage()):
        return True
    prefixes = ROUTINE_PREFIXES.get(record.name, ())
    return bool(prefixes) and str(record.msg).startswith(prefixes)


def install() -> None:
    """Attach the filters to their loggers (once; uvicorn's logging setup keeps them)."""
    wanted: list[tuple[str, type[logging.Filter]]] = [
        ("uvicorn.access", DropSignedQueries),
        *((name, RoutineAtDebug) for name in ROUTINE_PREFIXES),
    ]
    for name, kind in wanted:
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
