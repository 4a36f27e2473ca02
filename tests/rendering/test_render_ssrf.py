from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.security.ssrf import UnsafeTarget, assert_public_target, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
        "not an ip",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "https://10.0.0.5:8443/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://localhost/",
    ],
)
async def test_private_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget) as info:
        await assert_public_target(url, allow_private=False)
    assert isinstance(info.value, InvalidInput)
    assert info.value.problems[0].code == "UNSAFE_TARGET"
    await assert_public_target(url, allow_private=True)


async def test_public_literal_is_accepted_without_network() -> None:
    await assert_public_target("https://8.8.8.8/hook", allow_private=False)
    await assert_public_target("https://[2606:4700:4700::1111]/", allow_private=False)


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/", "https:///nohost", "http://[zz]/", "x"])
async def test_malformed_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        await assert_public_target(url, allow_private=True)
