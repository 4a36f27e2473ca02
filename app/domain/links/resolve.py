"""Where a scan goes: the redirect's decision, free of HTTP (Shlink's model: resolve, answer,
then track).

    unknown slug                         the domain's notFoundRedirect, else 404
    disabled or deleted link             the workspace's dead-link fallback, else 404 / 410
    scheduled, expired, exhausted        302 to fallbackDestination, else the workspace's
                                         fallback, else 410 (the visit is recorded, with
                                         its outcome)
    password-protected, not unlocked     the password form
    otherwise                            redirectType to the first matching rule's destination
                                         (or the visitor's variant, or the link's), the query
                                         forwarded when asked; the scan is appended to the
                                         stream before answering

Only a person's GET spends a scan of scanLimit: a bot or a HEAD is answered as the limit
stands (the redirect while there is room) and never takes the last scan.

Nothing here touches the database on a cache hit, hashes a password, or parses a user agent
unless a rule needs it: this runs for every phone that scans a printed code.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.domain.links import access
from app.domain.links.models import Link
from app.domain.links.rules import CompiledRules, choose_rule, compile_rules, request_facts
from app.domain.links.slugs import ALPHABET
from app.domain.links.variants import Variants, compile_variants, pick
from app.domain.scans.enrich import classify_user_agent, daily_salt
from app.domain.scans.stream import capture
from app.security.passwords import verify_password

if TYPE_CHECKING:
    from app.domain.links.cache import LinkCache
    from app.domain.links.fallbacks import WorkspaceFallbacks
    from app.domain.links.limits import ScanLimiter
    from app.domain.scans.recorder import ScanRecorder

# The query parameter a DYNAMIC code adds to its short URL: `qr=1` tells a scan of the
# printed code from a click on the link; it is never forwarded.
QR_MARKER = "qr"
CODE_QUERY = f"{QR_MARKER}=1"
# A link's further codes print `qr=<marker>`: so many characters of the slug alphabet.
CODE_MARKER_LENGTH = 6
_MARKER_CHARS = frozenset(ALPHABET)
MAX_PASSWORD = 128

NOT_FOUND = "NOT_FOUND"
GONE = "GONE"
FALLBACK = "FALLBACK"
PASSWORD = "PASSWORD"
REDIRECT = "REDIRECT"
# What a scan's stored outcome is when the link was dead (see Scan.outcome).
DEAD_OUTCOMES = {FALLBACK: "fallback", GONE: "gone"}

# Why a link is dead, as the page a person sees says it.
UNKNOWN, DISABLED, SCHEDULED, EXPIRED, EXHAUSTED, DELETED = (
    "UNKNOWN", "DISABLED", "SCHEDULED", "EXPIRED", "EXHAUSTED", "DELETED"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ResolvedLink:
    """What the redirect needs of a link: small, immutable, cached in every process."""

    id: int
    workspace_id: int
    slug: str
    destination: str
    fallback_destination: str | None
    enabled: bool
    scan_limit: int | None
    scan_count: int  # as read; the exact count is the Redis counter
    not_before: datetime | None
    not_after: datetime | None
    rules: tuple[dict[str, Any], ...]
    redirect_type: int
    forward_query: bool
    password_hash: str | None
    compiled: CompiledRules | None  # compile_rules(rules), kept beside the link
    variants: Variants | None = None
    host: str = ""  # the domain its slugs are on; "" is the install's own
    deleted: bool = False  # a deleted link's slug, kept for claims.RELEASE_DAYS

    @classmethod
    def tombstone(cls, workspace_id: int, host: str, slug: str) -> ResolvedLink:
        """What a deleted link's slug resolves to: gone, with whose fallback applies."""
        return cls.from_dict(
            {
                "id": 0, "workspace_id": workspace_id, "slug": slug, "destination": "",
                "fallback_destination": None, "enabled": False, "scan_limit": None,
                "scan_count": 0, "not_before": None, "not_after": None, "rules": [],
                "redirect_type": 302, "forward_query": False, "password_hash": None,
                "host": host, "deleted": True,
            }
        )  # fmt: skip

    @classmethod
    def of(cls, link: Link, host: str = "") -> ResolvedLink:
        return cls.from_dict(
            {
                "id": link.id,
                "workspace_id": link.workspace_id,
                "slug": link.slug,
                "destination": link.destination,
                "fallback_destination": link.fallback_destination,
                "enabled": link.enabled,
                "scan_limit": link.scan_limit,
                "scan_count": link.scan_count,
                "not_before": link.not_before.isoformat() if link.not_before else None,
                "not_after": link.not_after.isoformat() if link.not_after else None,
                "rules": link.rules if isinstance(link.rules, list) else [],
                "redirect_type": link.redirect_type,
                "forward_query": link.forward_query,
                "password_hash": link.password_hash,
                "variants": link.variants if isinstance(link.variants, list) else [],
                "host": host,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResolvedLink:
        rules = tuple(data["rules"])
        return cls(
            id=data["id"],
            workspace_id=data["workspace_id"],
            slug=data["slug"],
            destination=data["destination"],
            fallback_destination=data["fallback_destination"],
            enabled=data["enabled"],
            scan_limit=data["scan_limit"],
            scan_count=data["scan_count"],
            not_before=_instant(data["not_before"]),
            not_after=_instant(data["not_after"]),
            rules=rules,
            redirect_type=data["redirect_type"],
            forward_query=data["forward_query"],
            password_hash=data["password_hash"],
            compiled=compile_rules(rules) if rules else None,
            # .get: entries cached in Redis before these fields existed lack them
            variants=compile_variants(data.get("variants")),
            host=data.get("host", ""),
            deleted=data.get("deleted", False),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "workspace_id": self.workspace_id,
                "slug": self.slug,
                "destination": self.destination,
                "fallback_destination": self.fallback_destination,
                "enabled": self.enabled,
                "scan_limit": self.scan_limit,
                "scan_count": self.scan_count,
                "not_before": self.not_before.isoformat() if self.not_before else None,
                "not_after": self.not_after.isoformat() if self.not_after else None,
                "rules": list(self.rules),
                "redirect_type": self.redirect_type,
                "forward_query": self.forward_query,
                "password_hash": self.password_hash,
                "variants": [{"destination": d, "weight": w} for d, w in self.variants or ()],
                "host": self.host,
                "deleted": self.deleted,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ResolvedLink:
        return cls.from_dict(json.loads(text))

    def window(self, now: datetime) -> str:
        """ACTIVE, DISABLED, SCHEDULED or EXPIRED; EXHAUSTED is the limiter's call."""
        if not self.enabled:
            return "DISABLED"
        if self.not_before is not None and now < self.not_before:
            return "SCHEDULED"
        if self.not_after is not None and now >= self.not_after:
            return "EXPIRED"
        return "ACTIVE"


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Visit and Decision are made once per scan: plain slots classes, because a frozen
# dataclass's __init__ goes through object.__setattr__ per field (five times slower).


@dataclass(slots=True)
class Visit:
    """What the redirect reads from a request."""

    slug: str
    method: str = "GET"
    host: str = ""  # a verified custom domain's hostname, else "" (the install's own)
    query: str = ""  # the raw query string
    ip: str | None = None
    user_agent: str | None = None
    accept_language: str | None = None
    referrer: str | None = None
    country: str | None = None  # the trusted CDN header's value, when configured
    unlock_token: str | None = None  # the password cookie


@dataclass(slots=True)
class Decision:
    outcome: str  # NOT_FOUND | GONE | FALLBACK | PASSWORD | REDIRECT
    status: int
    location: str | None = None
    link: ResolvedLink | None = None
    reason: str | None = None  # why a link is dead: UNKNOWN, DISABLED, … DELETED
    variant: int | None = None  # the 1-based A/B variant served


_NOT_FOUND = Decision(NOT_FOUND, 404, reason=UNKNOWN)


def unavailable(link: ResolvedLink, reason: str) -> Decision:
    """Scheduled, expired or exhausted: the fallback when there is one, else gone."""
    if link.fallback_destination:
        return Decision(FALLBACK, 302, link.fallback_destination, link, reason)
    return Decision(GONE, 410, None, link, reason)


def short_url(public_url: str, slug: str) -> str:
    """A link's short URL: the one place it is spelled."""
    return f"{public_url}/r/{slug}"


def code_url(public_url: str, slug: str) -> str:
    """What a DYNAMIC code encodes: the short URL with the QR marker."""
    return f"{short_url(public_url, slug)}?{CODE_QUERY}"


def dead(link: ResolvedLink) -> Decision:
    """A disabled link is not found (as before); a deleted one is gone."""
    if link.deleted:
        return Decision(GONE, 410, None, link, DELETED)
    return Decision(NOT_FOUND, 404, None, link, DISABLED)


def spends_scan(method: str, user_agent: str | None) -> bool:
    """Only a person's GET counts toward scanLimit: link unfurlers, crawlers and HEAD don't."""
    return method == "GET" and not classify_user_agent(user_agent or "").is_bot


def split_query(query: str) -> tuple[list[tuple[str, str]], str, str | None]:
    """The query without the QR marker, the scan's source (QR or LINK) and which of the
    link's codes was scanned: None for `qr=1` (the code made with the link), else the
    marker a further code prints (`qr=<marker>`)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    source = "LINK"
    code = None
    kept = []
    for key, value in pairs:
        if key == QR_MARKER:
            if value == "1":
                source = "QR"
            elif len(value) == CODE_MARKER_LENGTH and _MARKER_CHARS.issuperset(value):
                source, code = "QR", value
        else:
            kept.append((key, value))
    return kept, source, code


def forward(destination: str, incoming: list[tuple[str, str]]) -> str:
    """The destination with the visitor's query merged in; the visitor's value of a key wins."""
    if not incoming:
        return destination
    parts = urlsplit(destination)
    keys = {key for key, _ in incoming}
    own = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    if not any(key in keys for key, _ in own):
        # The destination's own query is kept byte for byte when nothing overrides it.
        query = f"{parts.query}&{urlencode(incoming)}" if parts.query else urlencode(incoming)
    else:
        query = urlencode([(k, v) for k, v in own if k not in keys] + incoming)
    return urlunsplit(parts._replace(query=query))


class Redirector:
    """The hot path: a link from the caches, the decision, the scan appended to the stream."""

    def __init__(
        self,
        cache: LinkCache,
        limiter: ScanLimiter,
        recorder: ScanRecorder,
        secret: bytes,
        fallbacks: WorkspaceFallbacks | None = None,
    ) -> None:
        self.cache = cache
        self.limiter = limiter
        self.recorder = recorder
        self.secret = secret
        self.fallbacks = fallbacks
        self._salt: tuple[date, bytes] | None = None

    async def visit(self, visit: Visit) -> Decision:
        decision = await self._decide(visit)
        if decision.location is None and decision.link is not None and self.fallbacks:
            # Dead (not a password form): the workspace's fallback, if it has one.
            if decision.outcome in (NOT_FOUND, GONE):
                url = await self.fallbacks.get(decision.link.workspace_id)
                if url:
                    decision = Decision(FALLBACK, 302, url, decision.link, decision.reason)
        link = decision.link
        if decision.outcome in (FALLBACK, GONE) and link is not None:
            # A dead link's visit is recorded too, with what it got: after a link expires
            # its traffic stays visible in analytics (byOutcome), not in scanCount. A
            # disabled link's and a deleted one's are not (as an unknown slug's).
            if link.enabled and not link.deleted:
                await self.record(visit, link, DEAD_OUTCOMES[decision.outcome])
        return decision

    async def record(self, visit: Visit, link: ResolvedLink, outcome: str | None) -> None:
        code: str | None = None
        if visit.query:
            _, source, code = split_query(visit.query)
        else:
            source = "LINK"
        await self.recorder.record(
            capture(
                link_id=link.id,
                workspace_id=link.workspace_id,
                source=source,
                method=visit.method,
                ip=visit.ip,
                user_agent=visit.user_agent,
                referrer=visit.referrer,
                accept_language=visit.accept_language,
                country=visit.country,
                outcome=outcome,
                code=code,
            )
        )

    async def _decide(self, visit: Visit) -> Decision:
        link = await self.cache.get(visit.slug, visit.host)
        if link is None:
            return _NOT_FOUND
        if not link.enabled:
            return dead(link)
        now: datetime | None = None
        if link.not_before is not None or link.not_after is not None:
            now = datetime.now(UTC)
            if (window := link.window(now)) != "ACTIVE":
                return unavailable(link, window)
        if link.password_hash is not None and not self.unlocked(link, visit.unlock_token):
            return Decision(PASSWORD, 200, None, link)
        if link.scan_limit is not None:
            if spends_scan(visit.method, visit.user_agent):
                room = await self.limiter.take(link)
            else:
                room = await self.limiter.has_room(link)
            if not room:
                return unavailable(link, EXHAUSTED)
        code: str | None = None
        if visit.query:
            incoming, source, code = split_query(visit.query)
        else:
            incoming, source = [], "LINK"
        destination: str | None = None
        outcome: str | None = None  # the link's own destination (or a variant)
        variant: int | None = None
        if link.compiled is not None:
            facts = request_facts(
                visit.user_agent,
                visit.accept_language,
                dict(reversed(incoming)),  # the first occurrence of a key wins
                visit.ip,
                visit.country,
                now or datetime.now(UTC),
            )
            if (chosen := choose_rule(link.compiled, facts)) is not None:
                outcome, destination = f"rule {chosen[0]}", chosen[1]
        if destination is None:
            if link.variants is not None:
                index = pick(link.variants, self.salt(), link.id, visit.ip, visit.user_agent)
                destination, variant = link.variants[index][0], index + 1
            else:
                destination = link.destination
        if link.forward_query:
            destination = forward(destination, incoming)
        await self.recorder.record(
            capture(
                link_id=link.id,
                workspace_id=link.workspace_id,
                source=source,
                method=visit.method,
                ip=visit.ip,
                user_agent=visit.user_agent,
                referrer=visit.referrer,
                accept_language=visit.accept_language,
                country=visit.country,
                outcome=outcome,
                variant=variant,
                code=code,
            )
        )
        return Decision(REDIRECT, link.redirect_type, destination, link, variant=variant)

    def salt(self) -> bytes:
        """Today's salt of visitor hashes (analytics' own), computed once a day."""
        today = datetime.now(UTC).date()
        if self._salt is None or self._salt[0] != today:
            self._salt = (today, daily_salt(self.secret, today))
        return self._salt[1]

    def unlocked(self, link: ResolvedLink, token: str | None) -> bool:
        assert link.password_hash is not None
        return access.token_valid(self.secret, link.id, link.slug, link.password_hash, token)

    async def unlock(self, slug: str, password: str, host: str = "") -> tuple[Decision, str | None]:
        """Check a protected link's password: the token to keep on success, else None.

        The decision is NOT_FOUND for a link that is gone, PASSWORD otherwise.
        """
        link = await self.cache.get(slug, host)
        if link is None or not link.enabled:
            return _NOT_FOUND, None
        decision = Decision(PASSWORD, 200, None, link)
        if link.password_hash is None:
            return decision, None
        if not password or len(password) > MAX_PASSWORD:
            return decision, None
        # argon2 takes ~100 ms of CPU on purpose: off the event loop.
        if not await asyncio.to_thread(verify_password, link.password_hash, password):
            return decision, None
        return decision, access.unlock_token(self.secret, link.id, link.slug, link.password_hash)
