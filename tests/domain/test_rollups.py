"""rollups.tally: what a batch adds to each rollup table, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.scans.enrich import EnrichedScan
from app.domain.scans.rollups import tally

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def scan(link_id: int = 1, **fields) -> EnrichedScan:
    values = {
        "workspace_id": 7,
        "occurred_at": AT,
        "source": "QR",
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Mobile Safari",
        "is_bot": False,
        "country": "DE",
        "referrer_host": None,
        "language": "de",
        "visitor_hash": "v",
        **fields,
    }
    return EnrichedScan(link_id=link_id, **values)


def test_alike_scans_are_counted_together_and_bots_apart() -> None:
    batch = [scan(event_id="a"), scan(event_id="b"), scan(event_id="c", is_bot=True)]
    counts = tally(batch, {1: 7}, lambda s: s.event_id == "a")
    hour = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert dict(counts.link_hours) == {(1, hour, "QR"): [2, 1, 1]}
    assert dict(counts.workspace_hours) == {(7, hour, "QR"): [2, 1, 1]}
    day = date(2026, 3, 2)
    assert counts.link_days[(1, day, "country", "DE", "QR")] == [2, 1]
    assert counts.link_days[(1, day, "referrer", "", "QR")] == [2, 1]  # none: ""
    assert not [key for key in counts.link_days if key[2] == "variant"]  # no variants
    assert dict(counts.links) == {1: [2, 1, 1]}


def test_dead_link_visits_are_counted_in_rollups_not_in_the_counters() -> None:
    batch = [scan(event_id="a", outcome="gone"), scan(event_id="b", outcome="fallback")]
    counts = tally(batch, {1: 7}, lambda s: False)
    day = date(2026, 3, 2)
    assert counts.link_days[(1, day, "outcome", "gone", "QR")] == [1, 0]
    assert counts.link_days[(1, day, "outcome", "fallback", "QR")] == [1, 0]
    assert sum(c[0] for c in counts.link_hours.values()) == 2
    assert dict(counts.links) == {}


def test_variants_and_links_are_kept_apart() -> None:
    batch = [scan(event_id="a", variant="2"), scan(2, event_id="b", variant="1")]
    counts = tally(batch, {1: 7, 2: 7}, lambda s: True)
    day = date(2026, 3, 2)
    assert counts.link_days[(1, day, "variant", "2", "QR")] == [1, 0]
    assert counts.link_days[(2, day, "variant", "1", "QR")] == [1, 0]
    assert counts.workspace_days[(7, day, "variant", "1", "QR")] == [1, 0]
    assert dict(counts.links) == {1: [1, 1, 0], 2: [1, 1, 0]}
