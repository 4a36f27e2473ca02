"""Who the client is: the peer's address, or, behind proxies we trust, the address they saw.

Forwarded headers (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`) are anyone's to write, so
they are read only when the peer itself is one of `QRFORGE_TRUSTED_PROXIES`. The chain is
then walked from the right (each proxy appends the address it saw) past every trusted
address; the first one that is not trusted is the client. A client can prepend whatever it
likes, but it cannot get past the hop our own proxy appended.

Per-IP limits key IPv6 clients by their /64: one subscriber gets a whole /64 (often many
more addresses than that), so counting per address would let one client be anyone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The prefix an IPv6 client is limited by: RFC 6177 hands each site at least a /64.
IPV6_LIMIT_PREFIX = 64


def parse_networks(value: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is a /32 or /128); ValueError names a bad one."""
    networks = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR") from None
    return tuple(networks)


def limit_key(ip: str) -> str:
    """The key per-IP limits count under: the address, or an IPv6 address's /64."""
    if ":" not in ip:  # IPv4, the common case: no parsing on the redirect's hot path
        return ip
    try:
        address = ipaddress.IPv6Address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_LIMIT_PREFIX), strict=False))


def _address(value: str) -> Address | None:
    value = value.strip().strip('"')
    if value.startswith("["):  # [2001:db8::1]:4711
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 192.0.2.1:4711
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _forwarded_for(header: str) -> list[str]:
    """The `for=` values of an RFC 7239 Forwarded header, in order."""
    hops = []
    for element in header.split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == "for":
                hops.append(value)
    return hops


# Addresses whose parse this process remembers: parsing one costs microseconds, on every
# redirect behind a proxy; proxies and returning phones repeat. Full, it starts over.
MAX_REMEMBERED = 10_000


class ClientAddress:
    """Finds the client address of a request; `trusted` are the proxies whose headers count."""

    def __init__(self, trusted: Iterable[Network] = ()) -> None:
        self.trusted = tuple(trusted)
        self._known: dict[str, tuple[str | None, bool]] = {}

    def _look(self, value: str) -> tuple[str | None, bool]:
        """(the address written plainly, or None if it is not one; whether it is trusted)."""
        known = self._known.get(value)
        if known is None:
            address = _address(value)
            trusted = address is not None and any(address in net for net in self.trusted)
            known = (str(address) if address is not None else None, trusted)
            if len(self._known) >= MAX_REMEMBERED:
                self._known.clear()
            self._known[value] = known
        return known

    def of(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else None
        if not self.trusted or peer is None or not self._look(peer)[1]:
            return peer
        forwarded = x_forwarded_for = x_real_ip = None
        for name, value in scope["headers"]:
            if name == b"forwarded":
                forwarded = (forwarded + "," if forwarded else "") + value.decode("latin-1")
            elif name == b"x-forwarded-for":
                joined = value.decode("latin-1")
                x_forwarded_for = f"{x_forwarded_for},{joined}" if x_forwarded_for else joined
            elif name == b"x-real-ip":
                x_real_ip = value.decode("latin-1")
        if forwarded is not None:
            hops = _forwarded_for(forwarded)
        elif x_forwarded_for is not None:
            hops = x_forwarded_for.split(",")
        elif x_real_ip is not None:
            hops = [x_real_ip]
        else:
            return peer
        client_ip = peer
        for hop in reversed(hops):
            address, trusted = self._look(hop)
            if address is None:  # "unknown", an obfuscated name, garbage: go no further
                break
            client_ip = address
            if not trusted:
                break
        return client_ip

    def rewrite(self, scope: Scope) -> None:
        """Puts the client address in the scope, where every handler reads it."""
        if not self.trusted or not scope.get("client"):
            return
        found = self.of(scope)
        if found is not None and found != scope["client"][0]:
            scope["client"] = (found, 0)
