"""Which URLs we accept anywhere (link and rule destinations, URL payloads, logos, webhooks):
absolute http(s), a sane length, a real host, no tricks. The one check, used by all."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
HOST = re.compile(r"^[^\s/?#@]+$")  # ":" only appears in IPv6 literals here


def url_problem(value: object) -> str | None:
    """Why `value` is not an acceptable destination URL, or None when it is."""
    if not isinstance(value, str) or not value.strip():
        return "A URL is required."
    if len(value) > MAX_URL_LENGTH:
        return f"URLs are at most {MAX_URL_LENGTH} characters."
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "URLs cannot contain spaces or control characters."
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return "This is not a valid URL."
    # javascript:, data:, mailto:, relative and scheme-relative URLs all end here.
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "Only absolute http:// or https:// URLs are allowed."
    if not HOST.match(host) or host.startswith(".") or ".." in host:
        return "This URL has no valid host."
    return None
