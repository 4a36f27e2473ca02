"""When a delivery's next attempt is due: the retry schedule, Retry-After, and the limits
that end a schedule."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

# Delay before each attempt, counted from the previous one: 10 attempts over ~3 days,
# the schedule Standard Webhooks and Svix use, so receivers' expectations hold.
RETRY_SCHEDULE: tuple[float, ...] = (
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
)
# ±10 % spreads retries of a receiver that failed for everyone at once.
RETRY_JITTER = 0.1


# A Retry-After beyond the longest step of the schedule would park a delivery for days.
RETRY_AFTER_CAP = 24 * 3600
# An endpoint failing for this long is abandoned (disabled with the reason), as Svix does.
DISABLE_AFTER = 3 * 24 * 3600


class Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def next_delay(attempt: int, rng: Random) -> float | None:
    """Seconds to wait before attempt number `attempt` (0-based, i.e. the number of attempts
    already made), or None when the schedule is exhausted and the delivery has failed."""
    if attempt < 0:
        raise ValueError("attempt counts from 0")
    if attempt >= len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[attempt]
    return delay * rng.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


def retry_after_seconds(header_value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date), never negative;
    None when absent or unreadable. Callers cap it: a receiver should not park a delivery."""
    if header_value is None:
        return None
    value = header_value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
