"""The Redirector over fakes of its cache, limiter and recorder: every row of the outcome
table in app/domain/links/resolve.py, and what each records (a redirect's scan before it
answers, a dead link's visit with its outcome, nothing for a 404 or the password form)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.links import access
from app.domain.links.resolve import (
    FALLBACK,
    GONE,
    NOT_FOUND,
    PASSWORD,
    REDIRECT,
    Decision,
    Redirector,
    ResolvedLink,
    Visit,
)

SECRET = b"unit-test-secret"
NOW = datetime.now(UTC)


def a_link(**fields: Any) -> ResolvedLink:
    data: dict[str, Any] = {
        "id": 1,
        "workspace_id": 7,
        "slug": "spring",
        "destination": "https://example.com/spring",
        "fallback_destination": None,
        "enabled": True,
        "scan_limit": None,
        "scan_count": 0,
        "not_before": None,
        "not_after": None,
        "rules": [],
        "redirect_type": 302,
        "forward_query": False,
        "password_hash": None,
    }
    for name in ("not_before", "not_after"):
        if isinstance(fields.get(name), datetime):
            fields[name] = fields[name].isoformat()
    return ResolvedLink.from_dict(data | fields)


PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


class FakeCache:
    def __init__(self, *links: ResolvedLink) -> None:
        self.links = {link.slug: link for link in links}

    async def get(self, slug: str, host: str = "") -> ResolvedLink | None:
        return self.links.get(slug) if not host else None


class FakeLimiter:
    def __init__(self, allow: bool = True) -> None:
        self.allow = allow
        self.asked: list[int] = []

    async def take(self, link: ResolvedLink) -> bool:
        self.asked.append(link.id)
        return self.allow

    async def has_room(self, link: ResolvedLink) -> bool:  # asks, takes nothing
        return self.allow


class FakeRecorder:
    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    async def record(self, entry: dict[str, str]) -> None:
        self.entries.append(entry)


def redirector(
    *links: ResolvedLink, allow: bool = True
) -> tuple[Redirector, FakeLimiter, FakeRecorder]:
    limiter, recorder = FakeLimiter(allow), FakeRecorder()
    return Redirector(FakeCache(*links), limiter, recorder, SECRET), limiter, recorder  # type: ignore[arg-type]


def outcome(decision: Decision) -> tuple[str, int, str | None]:
    return decision.outcome, decision.status, decision.location


@pytest.mark.parametrize("links", [(), (a_link(enabled=False),)], ids=["unknown", "disabled"])
async def test_an_unknown_or_disabled_link_is_not_found_and_records_nothing(links) -> None:
    core, _, recorder = redirector(*links)
    assert outcome(await core.visit(Visit("spring"))) == (NOT_FOUND, 404, None)
    assert recorder.entries == []


UNAVAILABLE = {
    "scheduled": {"not_before": NOW + timedelta(days=1)},
    "expired": {"not_after": NOW - timedelta(seconds=1)},
    "exhausted": {"scan_limit": 5},  # the limiter refuses
}


@pytest.mark.parametrize("fields", UNAVAILABLE.values(), ids=UNAVAILABLE.keys())
@pytest.mark.parametrize(
    ("fallback", "expected"),
    [
        (None, (GONE, 410, None)),
        ("https://example.com/over", (FALLBACK, 302, "https://example.com/over")),
    ],
    ids=["gone", "fallback"],
)
async def test_an_unavailable_link_answers_its_fallback_or_gone(fields, fallback, expected) -> None:
    core, _, recorder = redirector(a_link(fallback_destination=fallback, **fields), allow=False)
    assert outcome(await core.visit(Visit("spring", query="qr=1"))) == expected
    # The dead visit is recorded with what it got (analytics byOutcome), and its source.
    [entry] = recorder.entries
    assert (entry["o"], entry["s"]) == (expected[0].lower(), "QR")


async def test_a_link_inside_its_window_redirects() -> None:
    window = {"not_before": NOW - timedelta(days=1), "not_after": NOW + timedelta(days=1)}
    core, _, _ = redirector(a_link(**window))
    assert outcome(await core.visit(Visit("spring"))) == (
        REDIRECT,
        302,
        "https://example.com/spring",
    )


async def test_a_password_link_shows_the_form_until_unlocked() -> None:
    link = a_link(password_hash="$argon2id$stand-in")
    core, _, recorder = redirector(link)
    assert outcome(await core.visit(Visit("spring"))) == (PASSWORD, 200, None)
    assert outcome(await core.visit(Visit("spring", unlock_token="forged"))) == (
        PASSWORD,
        200,
        None,
    )
    assert recorder.entries == []
    token = access.unlock_token(SECRET, link.id, link.slug, "$argon2id$stand-in")
    decision = await core.visit(Visit("spring", unlock_token=token))
    assert outcome(decision) == (REDIRECT, 302, "https://example.com/spring")
    assert len(recorder.entries) == 1


async def test_a_redirect_records_the_scan_first_with_its_source() -> None:
    core, limiter, recorder = redirector(a_link(redirect_type=301, scan_limit=10))
    decision = await core.visit(
        Visit("spring", query="qr=1", ip="203.0.113.9", user_agent="Phone", country="DE")
    )
    assert outcome(decision) == (REDIRECT, 301, "https://example.com/spring")
    assert limiter.asked == [1]
    [entry] = recorder.entries
    assert (entry["l"], entry["w"], entry["s"], entry["ip"], entry["c"]) == (
        "1", "7", "QR", "203.0.113.9", "DE"
    )  # fmt: skip
    await core.visit(Visit("spring"))
    assert recorder.entries[1]["s"] == "LINK"  # a click on the link, not a scan of the code


async def test_the_query_is_forwarded_when_asked_without_the_qr_marker() -> None:
    core, _, _ = redirector(a_link(forward_query=True, destination="https://example.com/?a=1"))
    decision = await core.visit(Visit("spring", query="qr=1&utm=poster&a=2"))
    assert decision.location == "https://example.com/?utm=poster&a=2"  # the visitor's a wins
    plain, _, _ = redirector(a_link())
    assert (await plain.visit(Visit("spring", query="utm=poster"))).location == (
        "https://example.com/spring"
    )


async def test_the_first_matching_rule_chooses_the_destination() -> None:
    rules = [
        {
            "destination": "https://example.com/fr",
            "conditions": [{"type": "COUNTRY", "value": "FR"}],
        },
        {
            "destination": "https://example.com/de",
            "conditions": [{"type": "COUNTRY", "value": "DE"}],
        },
    ]
    core, _, recorder = redirector(a_link(rules=rules))
    assert (await core.visit(Visit("spring", country="DE"))).location == "https://example.com/de"
    assert (await core.visit(Visit("spring", country="US"))).location == (
        "https://example.com/spring"
    )
    # The rule that chose is recorded by its number; the link's own destination adds nothing.
    assert [entry.get("o") for entry in recorder.entries] == ["rule 2", None]


async def test_issue13_a_bot_or_a_head_never_takes_a_scan() -> None:
    core, limiter, _ = redirector(a_link(scan_limit=10))
    for visit in (
        Visit("spring", user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
        Visit("spring", method="HEAD", user_agent=PHONE),
        Visit("spring"),  # no user agent: a script
    ):
        assert (await core.visit(visit)).status == 302
    assert limiter.asked == []
    await core.visit(Visit("spring", user_agent=PHONE))
    assert limiter.asked == [1]
