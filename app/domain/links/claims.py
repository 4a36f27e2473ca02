"""Slug claims: every slug a link has had stays its own on its domain.

A printed code encodes a slug for years, so renaming a link must not break it or hand it
to someone else: the old slug keeps redirecting to the link and no other link (of any
workspace) may take it. A deleted link's slugs answer 410 for `RELEASE_DAYS`, then are free.
The unique (host, slug) of SlugClaim is what makes this hold under concurrent writers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from app.domain.links.models import Link, SlugClaim

RELEASE_DAYS = 90
DEFAULT_HOST = ""  # the install's own domain (QRFORGE_PUBLIC_URL), shared by every workspace


def _stale(now: datetime) -> Q:
    # A claim without a link is free once released long enough, or at once when it was never
    # released (its link was removed without going through delete_link, e.g. by bulk clean-up).
    released_long_ago = Q(released_at__lt=now - timedelta(days=RELEASE_DAYS))
    return Q(link_id__isnull=True) & (Q(released_at__isnull=True) | released_long_ago)


async def is_free(host: str, slug: str, link_id: int | None = None) -> bool:
    """Whether `slug` may become the slug of link `link_id` (None: a new link) on `host`."""
    claim = await SlugClaim.get_or_none(host=host, slug=slug)
    if claim is None:
        return True
    if link_id is not None and claim.link_id == link_id:
        return True  # one of its own earlier slugs
    return await SlugClaim.filter(_stale(datetime.now(UTC)), id=claim.id).exists()


async def claim(host: str, slug: str, link_id: int, workspace_id: int) -> None:
    """Claim `slug` on `host` for the link; IntegrityError when another link holds it."""
    await SlugClaim.filter(_stale(datetime.now(UTC)), host=host, slug=slug).delete()
    if await SlugClaim.exists(host=host, slug=slug, link_id=link_id):
        return
    await SlugClaim.create(host=host, slug=slug, link_id=link_id, workspace_id=workspace_id)


async def release(link_id: int) -> None:
    """The link is being deleted: its slugs answer 410 for RELEASE_DAYS, then are free."""
    await SlugClaim.filter(link_id=link_id).update(link_id=None, released_at=datetime.now(UTC))


async def claims_of(link_id: int) -> list[tuple[str, str]]:
    """(host, slug) of every slug the link has had, oldest first."""
    rows = await SlugClaim.filter(link_id=link_id).order_by("id").values_list("host", "slug")
    return [(str(host), str(slug)) for host, slug in rows]


async def histories(link_ids: list[int]) -> dict[int, list[str]]:
    """Every slug each link has had, oldest first (its current one included)."""
    rows = (
        await SlugClaim.filter(link_id__in=link_ids).order_by("id").values_list("link_id", "slug")
    )
    found: dict[int, list[str]] = defaultdict(list)
    for link_id, slug in rows:
        if slug not in found[link_id]:
            found[link_id].append(slug)
    return found


async def claim_new(workspace_id: int, slugs: list[str]) -> None:
    """Claim, on the install's own domain, the slugs of links just inserted in bulk (an
    import); IntegrityError when one is taken, so the caller's transaction rolls back."""
    rows = await Link.filter(workspace_id=workspace_id, domain_id=None, slug__in=slugs).values_list(
        "id", "slug"
    )
    await SlugClaim.bulk_create(
        [
            SlugClaim(host=DEFAULT_HOST, slug=slug, link_id=link_id, workspace_id=workspace_id)
            for link_id, slug in rows
        ]
    )


async def taken_on_default(slugs: list[str]) -> set[str]:
    """Which of these slugs a link has or had on the install's own domain."""
    claimed = await SlugClaim.filter(host=DEFAULT_HOST, slug__in=slugs).values_list(
        "slug", flat=True
    )
    unclaimed = await Link.filter(domain_id=None, slug__in=slugs).values_list("slug", flat=True)
    return {str(slug) for slug in [*claimed, *unclaimed]}
