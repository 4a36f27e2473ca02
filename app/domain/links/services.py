"""The link lifecycle: validate, create, update, delete, find, list.

Every function takes the caller's workspace id and never sees another workspace's rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.domain.designs.models import Design
from app.domain.domains.models import Domain
from app.domain.links import claims, slugs
from app.domain.links.models import Link
from app.domain.links.rules import validate_rules
from app.domain.links.variants import validate_variants
from app.domain.owned import owned
from app.domain.text import control_character, text_problem
from app.domain.workspaces import quotas
from app.errors import InvalidInput, NotFound, Problem
from app.events import EventSink
from app.security.passwords import hash_password
from app.security.urls import url_problem

MAX_TAGS, MAX_TAG_LENGTH = 20, 50
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 50, 64, 1024
MAX_TITLE = 200
MAX_PASSWORD = 128
MAX_SCAN_LIMIT = 1_000_000_000
REDIRECT_TYPES = (301, 302, 307, 308)
SLUG_ATTEMPTS = 5

STATUSES = ("ACTIVE", "DISABLED", "SCHEDULED", "EXPIRED", "EXHAUSTED")


@dataclass(frozen=True)
class LinkFilter:
    tag: str | None = None
    status: str | None = None
    search: str | None = None


def link_status(link: Link, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if not link.enabled:
        return "DISABLED"
    if link.not_before and now < link.not_before:
        return "SCHEDULED"
    if link.not_after and now >= link.not_after:
        return "EXPIRED"
    if link.scan_limit is not None and link.scan_count >= link.scan_limit:
        return "EXHAUSTED"
    return "ACTIVE"


def _status_condition(status: str, now: datetime) -> Q:
    # Spelled out both ways: in SQL, NOT (NULL > now) is not true, so ~Q would drop NULLs.
    scheduled = Q(not_before__gt=now)
    started = Q(not_before__isnull=True) | Q(not_before__lte=now)
    expired = Q(not_after__lte=now)
    running = Q(not_after__isnull=True) | Q(not_after__gt=now)
    exhausted = Q(scan_limit__isnull=False) & Q(scan_count__gte=F("scan_limit"))
    left = Q(scan_limit__isnull=True) | Q(scan_count__lt=F("scan_limit"))
    live = Q(enabled=True)
    return {
        "DISABLED": Q(enabled=False),
        "SCHEDULED": live & scheduled,
        "EXPIRED": live & started & expired,
        "EXHAUSTED": live & started & running & exhausted,
        "ACTIVE": live & started & running & left,
    }[status]


def links_query(workspace_id: int, filter: LinkFilter | None = None) -> QuerySet[Link]:
    qs = Link.filter(workspace_id=workspace_id)
    if filter is None:
        return qs
    if filter.tag:
        qs = qs.filter(tag_index__contains=f"|{filter.tag}|")
    if filter.status:
        qs = qs.filter(_status_condition(filter.status, datetime.now(UTC)))
    if filter.search:
        term = filter.search
        qs = qs.filter(
            Q(slug__icontains=term) | Q(title__icontains=term) | Q(destination__icontains=term)
        )
    return qs


async def get_link(workspace_id: int, *, id: int | None = None, slug: str | None = None) -> Link:
    if id is None and slug is None:
        raise InvalidInput.one("REQUIRED", "Give an id or a slug.", ("id",))
    lookup: dict[str, Any] = {"workspace_id": workspace_id}
    if id is not None:
        lookup["id"] = id
        if slug is not None:
            lookup["slug"] = slug
        return await owned(Link, "Link", **lookup)
    # The same slug may be the workspace's on several of its domains: the default one first.
    found = await Link.filter(**lookup, slug=slug, domain_id=None).first()
    if found is None:
        found = await Link.filter(**lookup, slug=slug).order_by("id").first()
    if found is None:
        raise NotFound.of("Link")
    return found


async def host_of(link: Link) -> str:
    """The host a link's slugs are claimed on: its domain's, or the install's own ("")."""
    if link.domain_id is None:
        return claims.DEFAULT_HOST
    hostname = await Domain.filter(id=link.domain_id).values_list("hostname", flat=True)
    return str(hostname[0]) if hostname else claims.DEFAULT_HOST


def link_event(link: Link) -> dict[str, Any]:
    """What events say about a link: enough to act on without reading the database."""
    return {"id": link.id, "slug": link.slug, "destination": link.destination}


async def announce_slugs(
    events: EventSink, link: Link, host: str, history: list[tuple[str, str]] | None = None
) -> None:
    """Tell the redirect caches every (host, slug) that leads to the link, so they forget
    them all (a link.* event names only the current and the previous slug, on any host).
    Not a webhook event: receivers keep the payloads they know."""
    claimed = history if history is not None else [(host, link.slug)]
    await events.emit(
        "link.slugs",
        link.workspace_id,
        {
            "id": link.id,
            "host": host,
            "slug": link.slug,
            "slug_history": [{"host": h, "slug": s} for h, s in claimed],
        },
    )


async def create_link(
    workspace_id: int,
    given: Mapping[str, Any],
    events: EventSink,
    *,
    dry_run: bool = False,
    check_quota: bool = True,
) -> Link:
    """Create a link from the fields given (Python names of CreateLinkInput).

    `check_quota=False` is for callers that checked the quota for a whole batch (bulk)."""
    link = await prepare_link(workspace_id, given)
    if dry_run:
        link.slug = link.slug or slugs.generate()
        return link
    return await save_new_link(link, events, check_quota=check_quota)


async def prepare_link(workspace_id: int, given: Mapping[str, Any]) -> Link:
    """The link the fields describe, checked (and its password hashed) but not saved; its
    slug is None unless one was asked for."""
    if "destination" not in given:
        raise InvalidInput.one("INVALID_URL", "A destination URL is required.", ("destination",))
    values = await _clean(workspace_id, given, current=None)
    return Link(workspace_id=workspace_id, **values)


async def save_new_link(link: Link, events: EventSink, *, check_quota: bool = True) -> Link:
    """Save a prepared link, with a generated slug unless it has one, and announce it."""
    if check_quota:
        await quotas.ensure_room_for_links(link.workspace_id)
    host = await host_of(link)
    await _save_new(link, host, custom_slug=link.slug is not None)
    await events.emit("link.created", link.workspace_id, link_event(link))
    if host:  # link.created names the slug; only one on a custom domain needs its host
        await announce_slugs(events, link, host)
    return link


async def update_link(
    workspace_id: int, link_id: int, given: Mapping[str, Any], events: EventSink
) -> Link:
    """Change only the fields given."""
    link = await get_link(workspace_id, id=link_id)
    old_slug = link.slug
    values = await _clean(workspace_id, given, current=link)
    if not values:
        return link
    link.update_from_dict(values)
    host = await host_of(link)
    try:
        async with in_transaction():
            if "slug" in values or "domain_id" in values:
                # The new slug joins the link's claims; the old ones stay and keep redirecting.
                await claims.claim(host, link.slug, link.id, workspace_id)
            await link.save(update_fields=[*values, "updated_at"])
    except IntegrityError:
        raise _slug_taken() from None
    await events.emit("link.updated", workspace_id, {**link_event(link), "old_slug": old_slug})
    await announce_slugs(events, link, host, await claims.claims_of(link.id))
    return link


async def delete_link(workspace_id: int, link_id: int, events: EventSink) -> None:
    """Deleting frees no slug at once: for claims.RELEASE_DAYS they answer 410."""
    link = await get_link(workspace_id, id=link_id)
    host = await host_of(link)
    history = await claims.claims_of(link.id)
    async with in_transaction():
        await claims.release(link.id)
        await link.delete()
    await events.emit("link.deleted", workspace_id, link_event(link))
    await announce_slugs(events, link, host, history)


async def _save_new(link: Link, host: str, *, custom_slug: bool) -> None:
    for _ in range(1 if custom_slug else SLUG_ATTEMPTS):
        if not custom_slug:
            link.slug = slugs.generate()
        try:
            async with in_transaction():
                await link.save()
                await claims.claim(host, link.slug, link.id, link.workspace_id)
            return
        except IntegrityError:
            # Rolled back: the link is new again, and the next attempt inserts it afresh.
            link.id = None  # type: ignore[assignment]
            link._saved_in_db = False
            if custom_slug:
                raise _slug_taken() from None
    raise RuntimeError("could not find a free slug")  # 56^7 slugs: practically unreachable


def _slug_taken() -> InvalidInput:
    return InvalidInput.one("SLUG_TAKEN", "This slug is already in use.", ("slug",))


async def _clean(
    workspace_id: int, given: Mapping[str, Any], current: Link | None
) -> dict[str, Any]:
    """Validate the fields given and turn them into model values, or raise every problem."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def bad(code: str, message: str, *field: str) -> None:
        problems.append(Problem(code, message, field))

    for name in ("destination", "fallback_destination"):
        if name in given:
            value = given[name]
            if value is None and name == "fallback_destination":
                values[name] = None
            elif message := url_problem(value):
                bad("INVALID_URL", message, _camel(name))
            else:
                values[name] = value

    domain_id = current.domain_id if current is not None else None
    if "domain_id" in given:
        wanted = given["domain_id"]
        if wanted is not None and not await Domain.exists(
            id=wanted, workspace_id=workspace_id, verified=True
        ):
            bad("NOT_FOUND", "No verified domain of this workspace has this id.", "domainId")
        elif current is None or wanted != current.domain_id:
            values["domain_id"] = domain_id = wanted
    host = claims.DEFAULT_HOST
    if domain_id is not None:
        hostname = await Domain.filter(id=domain_id).values_list("hostname", flat=True)
        host = str(hostname[0]) if hostname else host
    if (slug := given.get("slug")) is not None:
        if message := slugs.slug_problem(slug):
            bad("INVALID_SLUG", message, "slug")
        elif current is None or slug != current.slug or "domain_id" in values:
            if not await claims.is_free(host, slug, current.id if current else None):
                bad("SLUG_TAKEN", "This slug is already in use.", "slug")
            values["slug"] = slug
    elif current is not None and "domain_id" in values:
        if not await claims.is_free(host, current.slug, current.id):
            bad("SLUG_TAKEN", "This slug is already in use on that domain.", "domainId")

    if "title" in given:
        title = given["title"]
        if title is not None and len(title) > MAX_TITLE:
            bad("TOO_LONG", f"A title is at most {MAX_TITLE} characters.", "title")
        elif problem := text_problem(title, ("title",)):
            problems.append(problem)
        values["title"] = title

    if "tags" in given:
        tags = list(dict.fromkeys(given["tags"] or []))
        if len(tags) > MAX_TAGS:
            bad("TOO_MANY_TAGS", f"A link has at most {MAX_TAGS} tags.", "tags")
        elif any(not t.strip() or len(t) > MAX_TAG_LENGTH or "|" in t for t in tags):
            bad("INVALID_TAG", f"Tags are 1 to {MAX_TAG_LENGTH} characters, without '|'.", "tags")
        elif problem := next(filter(None, (text_problem(t, ("tags",)) for t in tags)), None):
            problems.append(problem)
        values["tags"] = tags
        values["tag_index"] = "|" + "|".join(tags) + "|" if tags else ""

    if "metadata" in given:
        metadata = given["metadata"] or {}
        if not isinstance(metadata, dict):
            bad("INVALID_METADATA", "Metadata is a JSON object of string keys.", "metadata")
        elif len(metadata) > MAX_METADATA_KEYS:
            bad(
                "TOO_MANY_METADATA_KEYS",
                f"Metadata holds at most {MAX_METADATA_KEYS} keys, got {len(metadata)}.",
                "metadata",
            )
        elif message := _metadata_problem(metadata):
            bad("INVALID_METADATA", message, "metadata")
        values["metadata"] = metadata

    for flag in ("enabled", "forward_query"):
        if given.get(flag) is not None:
            values[flag] = bool(given[flag])

    if "scan_limit" in given:
        limit = given["scan_limit"]
        if limit is not None and not 1 <= limit <= MAX_SCAN_LIMIT:
            bad("INVALID_SCAN_LIMIT", f"scanLimit is 1 to {MAX_SCAN_LIMIT}.", "scanLimit")
        values["scan_limit"] = limit

    if "redirect_type" in given:
        if given["redirect_type"] not in REDIRECT_TYPES:
            allowed = ", ".join(map(str, REDIRECT_TYPES))
            bad("INVALID_REDIRECT_TYPE", f"redirectType is one of {allowed}.", "redirectType")
        values["redirect_type"] = given["redirect_type"]

    for name in ("not_before", "not_after"):
        if name in given:
            moment = given[name]
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)  # a bare time is read as UTC
            values[name] = moment
    start = values.get("not_before", current.not_before if current else None)
    end = values.get("not_after", current.not_after if current else None)
    if start and end and end <= start:
        bad("INVALID_WINDOW", "notAfter must be later than notBefore.", "notAfter")

    if "rules" in given:
        try:
            values["rules"] = validate_rules(given["rules"])
        except InvalidInput as error:
            problems.extend(error.problems)

    if "variants" in given:
        try:
            values["variants"] = validate_variants(given["variants"])
        except InvalidInput as error:
            problems.extend(error.problems)

    if "design_id" in given:
        design_id = given["design_id"]
        if design_id is not None and not await Design.exists(
            id=design_id, workspace_id=workspace_id
        ):
            bad("NOT_FOUND", "Design not found.", "designId")
        values["design_id"] = design_id

    if problems:
        raise InvalidInput(problems)

    if "password" in given:
        password = given["password"]
        if password and len(password) > MAX_PASSWORD:
            raise InvalidInput.one(
                "TOO_LONG", f"A password is at most {MAX_PASSWORD} characters.", ("password",)
            )
        # argon2 is slow on purpose: keep it off the event loop.
        values["password_hash"] = (
            await asyncio.to_thread(hash_password, password) if password else None
        )
    return values


def _metadata_problem(metadata: dict[Any, Any]) -> str | None:
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY:
            return f"Metadata keys are strings of 1 to {MAX_METADATA_KEY} characters."
        if found := control_character(key):
            return f"Metadata keys hold no control characters ({found})."
        if isinstance(value, str) and (found := control_character(value, multi_line=True)):
            return f"Metadata value of '{key}' holds a control character ({found})."
        if value is not None and not isinstance(value, str | int | float | bool):
            return f"Metadata value of '{key}' must be a string, number, boolean or null."
        if isinstance(value, str) and len(value) > MAX_METADATA_VALUE:
            return f"Metadata value of '{key}' is over {MAX_METADATA_VALUE} characters."
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
