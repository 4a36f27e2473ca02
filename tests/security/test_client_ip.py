"""The client address behind trusted proxies, and the key per-IP limits count under."""

from __future__ import annotations

import pytest

from app.security.client_ip import ClientAddress, limit_key, parse_networks
from app.settings import Settings, SettingsError


def scope(peer: str, *headers: tuple[str, str]) -> dict:
    return {
        "type": "http",
        "client": (peer, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }


BEHIND_LB = ClientAddress(parse_networks("10.0.0.0/8, 127.0.0.1"))


def test_issue10_forwarded_headers_are_ignored_without_trusted_proxies() -> None:
    spoofed = scope("127.0.0.1", ("X-Forwarded-For", "203.0.113.7"), ("X-Real-IP", "1.2.3.4"))
    assert ClientAddress().of(spoofed) == "127.0.0.1"


def test_forwarded_headers_are_ignored_from_an_untrusted_peer() -> None:
    assert BEHIND_LB.of(scope("198.51.100.2", ("X-Forwarded-For", "203.0.113.7"))) == (
        "198.51.100.2"
    )


def test_client_is_the_first_untrusted_hop_from_the_right() -> None:
    # The client prepended a lie; our proxies appended what they saw.
    chain = "6.6.6.6, 203.0.113.7, 10.1.2.3"
    assert BEHIND_LB.of(scope("10.0.0.5", ("X-Forwarded-For", chain))) == "203.0.113.7"
    split = scope("10.0.0.5", ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.8"))
    assert BEHIND_LB.of(split) == "203.0.113.8"


def test_forwarded_and_x_real_ip_are_read_too() -> None:
    forwarded = 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=10.0.0.9'
    assert BEHIND_LB.of(scope("127.0.0.1", ("Forwarded", forwarded))) == "2001:db8::7"
    assert BEHIND_LB.of(scope("127.0.0.1", ("X-Real-IP", "203.0.113.9"))) == "203.0.113.9"
    assert BEHIND_LB.of(scope("127.0.0.1")) == "127.0.0.1"


def test_a_garbage_hop_ends_the_walk_at_the_last_address() -> None:
    chain = "unknown, 10.0.0.3"
    assert BEHIND_LB.of(scope("10.0.0.5", ("X-Forwarded-For", chain))) == "10.0.0.3"
    assert BEHIND_LB.of(scope("10.0.0.5", ("X-Forwarded-For", "nonsense"))) == "10.0.0.5"


def test_rewrite_puts_the_client_in_the_scope() -> None:
    request = scope("127.0.0.1", ("X-Forwarded-For", "203.0.113.7"))
    BEHIND_LB.rewrite(request)
    assert request["client"][0] == "203.0.113.7"
    untouched = scope("127.0.0.1", ("X-Forwarded-For", "203.0.113.7"))
    ClientAddress().rewrite(untouched)
    assert untouched["client"] == ("127.0.0.1", 5000)


def test_issue10_ipv6_clients_are_limited_per_64() -> None:
    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert limit_key("203.0.113.7") == "203.0.113.7"
    assert limit_key("testclient") == "testclient"


def test_trusted_proxies_setting() -> None:
    settings = Settings.from_env({"QRFORGE_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8,127.0.0.1"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "fd00::/8", "127.0.0.1/32"]
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="QRFORGE_TRUSTED_PROXIES: 'lb.internal'"):
        Settings.from_env({"QRFORGE_TRUSTED_PROXIES": "10.0.0.0/8,lb.internal"})
