"""Slugs: the path of a short link, `/r/{slug}`."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/l/I: a slug read aloud or typed from paper should not be ambiguous.
ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
GENERATED_LENGTH = 7
MIN_LENGTH, MAX_LENGTH = 3, 64
PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
RESERVED = frozenset(
    {
        "r", "qr", "api", "graphql", "healthz", "metrics", "bulk", "export", "admin",
        "static", "login", "logout", "settings", "www", "app", "help", "docs",
    }
)  # fmt: skip
RULES = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters: letters, digits, '-' and '_', "
    "starting with a letter or digit"
)


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))


def could_exist(slug: str) -> bool:
    """Whether a link could have this slug (links made under older rules included): a
    cheap test before a lookup, which a database may refuse (too long, a NUL)."""
    return len(slug) <= MAX_LENGTH and slug.isprintable()


def slug_problem(slug: str) -> str | None:
    if not (MIN_LENGTH <= len(slug) <= MAX_LENGTH) or not PATTERN.fullmatch(slug):
        return f"A slug is {RULES}."
    if slug.lower() in RESERVED:
        return f"'{slug}' is reserved."
    return None


def short_url(public_url: str, slug: str, hostname: str | None = None) -> str:
    """A link's short URL: `/r/{slug}` on the install's own domain, root-level on a custom
    domain (over the same scheme as QRFORGE_PUBLIC_URL)."""
    if hostname:
        scheme = public_url.split("://", 1)[0]
        return f"{scheme}://{hostname}/{slug}"
    return f"{public_url}/r/{slug}"
