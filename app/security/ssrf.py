"""The SSRF guard: outgoing requests (logo URLs, webhooks) only reach public internet hosts.

Every address a host resolves to is checked, not just the first, because an attacker who
controls DNS can mix a public and a private answer. Callers that then connect should pin
one of the addresses `resolve_public` returned, so a second lookup cannot be rebound.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.errors import InvalidInput, Problem

UNSAFE_TARGET = "UNSAFE_TARGET"
RESOLVE_TIMEOUT = 3.0  # seconds; a slow resolver must not hold a request or a worker

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges ipaddress does not flag as private/reserved but that are not the public internet.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",  # carrier-grade NAT (is_private misses it)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4: embeds an arbitrary IPv4 address
    )
)


class UnsafeTarget(InvalidInput):
    @classmethod
    def because(cls, message: str, field: tuple[str, ...] = ("url",)) -> UnsafeTarget:
        return cls([Problem(UNSAFE_TARGET, message, field)])


def is_public_address(ip: str | IPAddress) -> bool:
    """True for a globally routable unicast address, including behind IPv4-mapped IPv6."""
    try:
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:  # the IPv4 address is what gets connected to
            return is_public_address(addr.ipv4_mapped)
        if addr.sixtofour is not None and not is_public_address(addr.sixtofour):
            return False
        if addr in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 of an IPv4 address
            return is_public_address(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or not addr.is_global
    ):
        return False
    return not any(addr in net for net in _EXTRA_BLOCKED if net.version == addr.version)


async def resolve_public(
    url: str, *, allow_private: bool, field: tuple[str, ...] = ("url",)
) -> list[str]:
    """The addresses `url`'s host resolves to, all of them public unless allowed otherwise."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UnsafeTarget.because("the URL is malformed", field) from None
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeTarget.because("the URL must be http(s) with a host", field)
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
            )
        except (OSError, TimeoutError, UnicodeError):
            raise UnsafeTarget.because(f"the host {host} does not resolve", field) from None
        # Drop an IPv6 zone ("fe80::1%eth0") before parsing.
        addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise UnsafeTarget.because(f"the host {host} does not resolve", field)
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeTarget.because(
                    f"{host} resolves to {address}, which is not a public internet address",
                    field,
                )
    return addresses


async def assert_public_target(url: str, *, allow_private: bool) -> None:
    await resolve_public(url, allow_private=allow_private)
