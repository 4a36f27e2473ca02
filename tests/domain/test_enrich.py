from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import crawleruseragents
import maxminddb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.scans import enrich as enrich_module
from app.domain.scans.enrich import (
    DEVICE_TYPES,
    RawScan,
    classify_user_agent,
    daily_salt,
    enrich,
    lookup_country,
    parse_accept_language,
    referrer_host,
    visitor_hash,
)

SECRET = b"test secret, 32 bytes of entropy"
MOMENT = datetime(2030, 6, 1, 12, 30, tzinfo=UTC)

USER_AGENTS = {
    "iphone_safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    ),
    "android_chrome": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36"
    ),
    "ipad": (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/16.6 Mobile/15E148 Safari/604.1"
    ),
    "android_tablet": (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
    "windows_edge": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"
    ),
    "macos_firefox": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0"
    ),
    "ubuntu_firefox": (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
    ),
    "chromebook": (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "googlebot_smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ),
    "curl": "curl/8.5.0",
    "python_requests": "python-requests/2.32.3",
    "empty": "",
}


def raw_scan(**overrides: Any) -> RawScan:
    values: dict[str, Any] = {
        "link_id": 7,
        "workspace_id": 3,
        "occurred_at": MOMENT,
        "ip": "198.51.100.23",
        "user_agent": USER_AGENTS["iphone_safari"],
        "referrer": "https://News.Example.com/article?id=1",
        "accept_language": "de-CH,de;q=0.9,en;q=0.8",
        "source": "QR",
        "country_header_value": None,
        "method": "GET",
        "event_id": "1717245000000-0",
    }
    values.update(overrides)
    return RawScan(**values)


@pytest.mark.parametrize(
    ("name", "device_type", "os", "browser", "is_bot"),
    [
        ("iphone_safari", "mobile", "iOS", "Mobile Safari", False),
        ("android_chrome", "mobile", "Android", "Chrome Mobile", False),
        ("ipad", "tablet", "iOS", "Mobile Safari", False),
        ("android_tablet", "tablet", "Android", "Chrome", False),
        ("windows_edge", "desktop", "Windows", "Edge", False),
        ("macos_firefox", "desktop", "Mac OS X", "Firefox", False),
        ("ubuntu_firefox", "desktop", "Ubuntu", "Firefox", False),
        ("chromebook", "desktop", "Chrome OS", "Chrome", False),
        ("googlebot", "bot", None, "Googlebot", True),
        ("googlebot_smartphone", "bot", "Android", "Googlebot", True),
        ("curl", "bot", None, "curl", True),
        ("python_requests", "bot", None, "Python Requests", True),
        ("empty", "bot", None, None, True),
    ],
)
def test_real_user_agents_are_classified(
    name: str, device_type: str, os: str | None, browser: str | None, is_bot: bool
) -> None:
    scan = enrich(raw_scan(user_agent=USER_AGENTS[name]), secret=SECRET)
    assert (scan.device_type, scan.os, scan.browser, scan.is_bot) == (
        device_type,
        os,
        browser,
        is_bot,
    )


@pytest.mark.parametrize(
    ("name", "os_key"),
    [
        ("iphone_safari", "ios"),
        ("ipad", "ios"),
        ("android_chrome", "android"),
        ("windows_edge", "windows"),
        ("macos_firefox", "macos"),
        ("ubuntu_firefox", "linux"),
        ("chromebook", "chromeos"),
        ("curl", "other"),
    ],
)
def test_operating_systems_map_to_rule_keys(name: str, os_key: str) -> None:
    assert classify_user_agent(USER_AGENTS[name]).os_key == os_key


def test_missing_user_agent_is_a_bot() -> None:
    scan = enrich(raw_scan(user_agent=None), secret=SECRET)
    assert (scan.device_type, scan.is_bot) == ("bot", True)


def test_head_requests_are_flagged_as_bots() -> None:
    scan = enrich(raw_scan(method="HEAD"), secret=SECRET)
    assert scan.is_bot is True
    assert scan.device_type == "bot"
    assert scan.os == "iOS"  # what the client claimed is still recorded


def test_crawler_matcher_agrees_with_crawler_user_agents() -> None:
    # The fast matcher (Rust engine) and the library's own Python check give the same answers.
    fast = enrich_module._crawler_matcher()
    patterns = [entry["pattern"] for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA]
    slow = enrich_module._python_crawler_matcher(patterns)
    samples = [*USER_AGENTS.values(), *crawleruseragents.CRAWLER_USER_AGENTS_DATA[0]["instances"]]
    samples += [
        entry["instances"][0]
        for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA
        if entry.get("instances")
    ][::25]
    for user_agent in samples:
        expected = crawleruseragents.is_crawler(user_agent)
        assert fast(user_agent) is expected, user_agent
        assert slow(user_agent) is expected, user_agent


def test_user_agent_classification_is_cached() -> None:
    user_agent = USER_AGENTS["windows_edge"] + " cache-probe"
    assert classify_user_agent(user_agent) is classify_user_agent(user_agent)


def test_overlong_user_agents_are_truncated_not_parsed_in_full() -> None:
    info = classify_user_agent(USER_AGENTS["windows_edge"] + " x" * 50_000)
    assert info.device_type == "desktop"
    assert info.browser is not None and len(info.browser) <= 40


# -- country --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("198.51.100.23", "DE"),
        ("::ffff:198.51.100.23", "DE"),
        ("2001:db8::5", "JP"),
        ("192.0.2.9", "CA"),
        ("203.0.113.1", None),
        ("10.0.0.1", None),
        ("not-an-ip", None),
    ],
)
def test_country_comes_from_the_geoip_database(
    geoip: maxminddb.Reader, ip: str, expected: str | None
) -> None:
    assert enrich(raw_scan(ip=ip), geoip=geoip, secret=SECRET).country == expected


def test_geoip_beats_the_header_and_the_header_fills_gaps(geoip: maxminddb.Reader) -> None:
    assert lookup_country("198.51.100.23", geoip=geoip, header_value="FR") == "DE"
    assert lookup_country("10.0.0.1", geoip=geoip, header_value="fr") == "FR"
    assert lookup_country(None, geoip=geoip, header_value="FR") == "FR"


def test_an_ipv6_lookup_in_an_ipv4_database_is_no_country(tmp_path: Any) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=4)
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"iso_code": "DE"}})
    writer.to_db_file(str(tmp_path / "v4.mmdb"))
    with maxminddb.open_database(str(tmp_path / "v4.mmdb")) as reader:
        assert lookup_country("2001:db8::1", geoip=reader, header_value="NL") == "NL"
        assert lookup_country("198.51.100.1", geoip=reader) == "DE"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("US", "US"),
        (" gb ", "GB"),
        ("XX", None),
        ("T1", None),
        ("EU", None),
        ("", None),
        ("USA", None),
        (None, None),
    ],
)
def test_country_falls_back_to_the_trusted_header(header: str | None, expected: str | None) -> None:
    scan = enrich(raw_scan(country_header_value=header), secret=SECRET)
    assert scan.country == expected


# -- referrer and language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("https://News.Example.com/article?id=1", "news.example.com"),
        ("http://example.com:8080/x", "example.com"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
        ("https://[2001:db8::1]/", "2001:db8::1"),
        ("", None),
        (None, None),
        ("   ", None),
        ("not a url", None),
        ("/relative/path", None),
        ("https://[broken/", None),
        ("https://exa mple.com/", None),
        ("https://" + "a" * 300 + ".com/", None),
    ],
)
def test_referrer_is_reduced_to_its_host(referrer: str | None, expected: str | None) -> None:
    assert referrer_host(referrer) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de"),
        ("en;q=0.5, PT-br", "pt"),
        ("*", None),
        ("", None),
        (None, None),
        ("garbage;;;", None),
        ("fr;q=0, es;q=0.2", "es"),
    ],
)
def test_language_is_the_primary_tag_of_the_preferred_language(
    header: str | None, expected: str | None
) -> None:
    assert enrich(raw_scan(accept_language=header), secret=SECRET).language == expected


def test_accept_language_ignores_bad_weights() -> None:
    assert parse_accept_language("en;q=abc, de;q=2, fr;level=1, it;q=0.3") == ("it",)


# -- visitor hash ----------------------------------------------------------------------------


def test_visitor_hash_is_stable_within_a_day() -> None:
    morning = enrich(raw_scan(occurred_at=MOMENT.replace(hour=0, minute=1)), secret=SECRET)
    night = enrich(raw_scan(occurred_at=MOMENT.replace(hour=23, minute=59)), secret=SECRET)
    assert morning.visitor_hash == night.visitor_hash
    assert re.fullmatch(r"[0-9a-f]{32}", morning.visitor_hash)


def test_visitor_hash_changes_across_days_and_visitors() -> None:
    today = enrich(raw_scan(), secret=SECRET).visitor_hash
    tomorrow = enrich(raw_scan(occurred_at=MOMENT + timedelta(days=1)), secret=SECRET)
    other_ip = enrich(raw_scan(ip="198.51.100.24"), secret=SECRET)
    other_ua = enrich(raw_scan(user_agent=USER_AGENTS["android_chrome"]), secret=SECRET)
    other_secret = enrich(raw_scan(), secret=b"another secret")
    hashes = {
        today,
        tomorrow.visitor_hash,
        other_ip.visitor_hash,
        other_ua.visitor_hash,
        other_secret.visitor_hash,
    }
    assert len(hashes) == 5


def test_visitor_day_is_the_utc_day() -> None:
    # 01:30 in UTC+3 on 2 June is 22:30 UTC on 1 June.
    local = datetime(2030, 6, 2, 1, 30, tzinfo=timezone(timedelta(hours=3)))
    scan = enrich(raw_scan(occurred_at=local), secret=SECRET)
    assert scan.occurred_at == datetime(2030, 6, 1, 22, 30, tzinfo=UTC)
    assert scan.visitor_hash == enrich(raw_scan(), secret=SECRET).visitor_hash


def test_visitor_hash_never_contains_the_ip() -> None:
    ip = "198.51.100.23"
    scan = enrich(raw_scan(ip=ip), secret=SECRET)
    assert ip not in repr(scan)
    assert ip.replace(".", "") not in scan.visitor_hash
    assert ip.encode().hex() not in scan.visitor_hash


def test_daily_salt_is_derived_not_stored() -> None:
    day = date(2030, 6, 1)
    assert daily_salt(SECRET, day) == daily_salt(SECRET, day)
    assert daily_salt(SECRET, day) != daily_salt(SECRET, day + timedelta(days=1))
    assert daily_salt(SECRET, day) != daily_salt(b"other", day)
    assert len(daily_salt(SECRET, day)) == 32


def test_separators_keep_ip_and_user_agent_apart() -> None:
    salt = daily_salt(SECRET, date(2030, 6, 1))
    assert visitor_hash(salt, "1.2.3.4", "5x") != visitor_hash(salt, "1.2.3.45", "x")


def test_enrich_carries_ids_and_source_through() -> None:
    scan = enrich(raw_scan(), secret=SECRET)
    assert (scan.link_id, scan.workspace_id, scan.source, scan.event_id) == (
        7,
        3,
        "QR",
        "1717245000000-0",
    )
    assert scan.referrer_host == "news.example.com"
    assert scan.occurred_at.tzinfo is not None


def test_a_naive_timestamp_is_taken_as_utc() -> None:
    scan = enrich(raw_scan(occurred_at=MOMENT.replace(tzinfo=None)), secret=SECRET)
    assert scan.occurred_at == MOMENT


def test_raw_scans_are_immutable_values() -> None:
    scan = raw_scan()
    assert replace(scan, ip=None).ip is None
    assert scan.ip == "198.51.100.23"


optional_text = st.none() | st.text(max_size=80)


@settings(max_examples=200, deadline=None, database=None)
@given(
    ip=optional_text | st.ip_addresses().map(str),
    user_agent=optional_text,
    referrer=optional_text,
    accept_language=optional_text,
    country=optional_text,
    method=st.sampled_from(["GET", "HEAD", "get", ""]),
)
def test_enrich_accepts_any_captured_request(
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    accept_language: str | None,
    country: str | None,
    method: str,
) -> None:
    raw = raw_scan(
        ip=ip,
        user_agent=user_agent,
        referrer=referrer,
        accept_language=accept_language,
        country_header_value=country,
        method=method,
    )
    scan = enrich(raw, secret=SECRET)
    assert scan.device_type in DEVICE_TYPES
    assert scan.country is None or len(scan.country) == 2
    assert scan.language is None or len(scan.language) <= 16
    assert scan.referrer_host is None or len(scan.referrer_host) <= 253
    assert len(scan.visitor_hash) == 32
