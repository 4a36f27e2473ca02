"""Custom domains: add, prove control, remove.

A workspace adds `go.acme.com`, points it at qrforge, and proves it controls it: qrforge
serves the domain's token at `http://go.acme.com/.well-known/qrforge/<token>` and
`verify_domain` fetches that URL (through the SSRF guard, so a hostname cannot aim the
check at an internal service). An operator who controls DNS can skip the proof with
`qrforge domains add`. Links on a verified domain are root-level: `https://go.acme.com/spring`.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tortoise.exceptions import IntegrityError

from app.domain.domains.models import Domain
from app.domain.links.models import Link, SlugClaim
from app.domain.owned import owned
from app.errors import InvalidInput
from app.events import EventSink
from app.security.ssrf import UnsafeTarget, resolve_public
from app.security.urls import url_problem

PROOF_PATH = "/.well-known/qrforge/"
VERIFY_TIMEOUT = 5.0  # seconds; the check runs inside a request
MAX_PROOF_BYTES = 1024
MAX_DOMAINS = 100  # per workspace
# DNS labels, lower case, at least two of them, then an optional port.
_HOSTNAME = re.compile(
    r"(?=.{1,253}(?::|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?::[0-9]{1,5})?"
)


def clean_hostname(hostname: Any, public_url: str) -> str:
    if not isinstance(hostname, str):
        raise InvalidInput.one("INVALID_HOSTNAME", "A hostname is required.", ("hostname",))
    host = hostname.strip().lower().rstrip(".")
    if not _HOSTNAME.fullmatch(host):
        raise InvalidInput.one(
            "INVALID_HOSTNAME",
            "A hostname is a domain name such as go.example.com, optionally with a :port.",
            ("hostname",),
        )
    if host == (urlsplit(public_url).netloc or "").lower():
        raise InvalidInput.one("HOSTNAME_TAKEN", "This is the install's own domain.", ("hostname",))
    return host


def _redirect_problem(name: str, value: Any) -> str | None:
    if value is None:
        return None
    return url_problem(value)


async def create_domain(
    workspace_id: int, given: dict[str, Any], public_url: str, events: EventSink
) -> Domain:
    host = clean_hostname(given.get("hostname"), public_url)
    for name in ("not_found_redirect", "base_redirect"):
        if message := _redirect_problem(name, given.get(name)):
            raise InvalidInput.one("INVALID_URL", message, (_camel(name),))
    if await Domain.filter(workspace_id=workspace_id).count() >= MAX_DOMAINS:
        raise InvalidInput.one(
            "TOO_MANY_DOMAINS", f"A workspace has at most {MAX_DOMAINS} domains.", ("hostname",)
        )
    try:
        domain = await Domain.create(
            workspace_id=workspace_id,
            hostname=host,
            verification_token=secrets.token_urlsafe(24),
            not_found_redirect=given.get("not_found_redirect"),
            base_redirect=given.get("base_redirect"),
        )
    except IntegrityError:
        raise InvalidInput.one(
            "HOSTNAME_TAKEN", "This hostname is already added.", ("hostname",)
        ) from None
    return domain


async def add_verified(workspace_id: int, hostname: str, public_url: str) -> Domain:
    """The operator's way (the CLI): the domain is verified as added."""
    domain = await create_domain(workspace_id, {"hostname": hostname}, public_url, _Quiet())
    domain.verified, domain.verified_at = True, datetime.now(UTC)
    await domain.save(update_fields=["verified", "verified_at"])
    return domain


async def get_domain(workspace_id: int, domain_id: int) -> Domain:
    return await owned(Domain, "Domain", id=domain_id, workspace_id=workspace_id)


async def verify_domain(
    workspace_id: int,
    domain_id: int,
    events: EventSink,
    *,
    allow_private: bool,
    client: httpx.AsyncClient | None = None,
) -> Domain:
    domain = await get_domain(workspace_id, domain_id)
    if domain.verified:
        return domain
    url = f"http://{domain.hostname}{PROOF_PATH}{domain.verification_token}"
    problem = await _proof_problem(url, domain.verification_token, allow_private, client)
    if problem is not None:
        raise InvalidInput.one("VERIFICATION_FAILED", problem, ("id",))
    domain.verified, domain.verified_at = True, datetime.now(UTC)
    await domain.save(update_fields=["verified", "verified_at"])
    await events.emit("domain.verified", workspace_id, {"id": domain.id, "host": domain.hostname})
    return domain


async def delete_domain(workspace_id: int, domain_id: int, events: EventSink) -> None:
    """A domain with links is kept: its printed codes would stop working."""
    domain = await get_domain(workspace_id, domain_id)
    if await Link.exists(domain_id=domain.id):
        raise InvalidInput.one(
            "DOMAIN_IN_USE", "Links use this domain; delete or move them first.", ("id",)
        )
    await SlugClaim.filter(host=domain.hostname, link_id=None).delete()
    await domain.delete()
    await events.emit("domain.deleted", workspace_id, {"id": domain.id, "host": domain.hostname})


async def proof_for(hostname: str, token: str) -> str | None:
    """What /.well-known/qrforge/<token> answers on `hostname`: the token, if it is that
    domain's (so one domain's page never vouches for another)."""
    domain = await Domain.get_or_none(verification_token=token)
    if domain is None or domain.hostname not in (hostname, hostname.rsplit(":", 1)[0]):
        return None
    return domain.verification_token


async def _proof_problem(
    url: str, token: str, allow_private: bool, client: httpx.AsyncClient | None
) -> str | None:
    try:
        addresses = await resolve_public(url, allow_private=allow_private)
    except UnsafeTarget as error:
        return f"The domain cannot be checked: {error.problems[0].message}."
    parts = urlsplit(url)
    literal = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
    pinned = f"http://{literal}{':' + str(parts.port) if parts.port else ''}{parts.path}"
    own = client is None
    http = client or httpx.AsyncClient(timeout=VERIFY_TIMEOUT)
    try:
        async with http.stream(
            "GET", pinned, headers={"Host": parts.netloc}, follow_redirects=False
        ) as response:
            if response.status_code != 200:
                return f"{url} answered HTTP {response.status_code}, not the token."
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_PROOF_BYTES:
                    break
    except httpx.HTTPError as error:
        return f"{url} could not be fetched ({type(error).__name__})."
    finally:
        if own:
            await http.aclose()
    if body.decode("utf-8", "replace").strip() != token:
        return f"{url} did not answer the token."
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Quiet:
    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        return None
