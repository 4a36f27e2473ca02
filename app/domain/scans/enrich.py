"""What a captured request tells us about the visitor, computed off the request path.

The redirect captures a `RawScan` and pushes it to the scan stream; the ingest worker turns it
into an `EnrichedScan` with `enrich()`. The user-agent and Accept-Language helpers are also
used by the redirect rules, so that a DEVICE rule and the analytics agree on what a phone is.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

import crawleruseragents
import ua_parser

# Distinct user agents seen in a day are in the thousands; the hot ones dominate.
UA_CACHE_SIZE = 8192
ACCEPT_LANGUAGE_CACHE_SIZE = 2048
# Longer strings are garbage or attacks; parsing them costs regex time and cache memory.
MAX_UA_LENGTH = 512
MAX_ACCEPT_LANGUAGE_LENGTH = 512
MAX_LANGUAGES = 16
# Column widths of the scan table.
MAX_FAMILY_LENGTH = 40
MAX_LANGUAGE_LENGTH = 16
MAX_HOST_LENGTH = 253
# visitor_hash is a 32-hex-char prefix of sha256: 128 bits, plenty for counting uniques.
VISITOR_HASH_LENGTH = 32
_SALT_CONTEXT = b"qrforge visitor salt v1:"

DEVICE_TYPES = ("mobile", "tablet", "desktop", "bot", "other")
# The OS keys a rule can name; analytics keep ua-parser's family names ("Mac OS X").
OS_KEYS = ("ios", "android", "windows", "macos", "linux", "chromeos", "other")

# ISO 3166-1 alpha-2, officially assigned, plus XK (Kosovo), which GeoIP databases and CDNs use.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS XK YE YT ZA ZM ZW
    """.split()
)

# BCP 47, loosely: a 2-3 letter primary language and up to a few alphanumeric subtags.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
_TABLET_HINT = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook|Nexus (?:7|9|10)\b")
_MOBILE_HINT = re.compile(r"Mobi|iPhone|iPod|Windows Phone|Opera Mini|BlackBerry|IEMobile")
_HOST = re.compile(r"[\w.:-]+")


class GeoIPReader(Protocol):
    """The part of `maxminddb.Reader` we use; injected so tests and the worker choose the file."""

    def get(self, ip_address: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    device_type: str  # one of DEVICE_TYPES
    os_key: str  # one of OS_KEYS
    os: str | None  # ua-parser family, e.g. "Mac OS X"
    browser: str | None  # ua-parser family, e.g. "Mobile Safari"
    is_bot: bool


@dataclass(frozen=True, slots=True)
class RawScan:
    """What the redirect captured; no parsing happened on the request path."""

    link_id: int
    workspace_id: int
    occurred_at: datetime
    ip: str | None
    user_agent: str | None
    referrer: str | None
    accept_language: str | None
    source: str  # "QR" | "LINK"
    country_header_value: str | None = None
    method: str = "GET"
    event_id: str | None = None
    outcome: str = "destination"  # see Scan.outcome
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class EnrichedScan:
    link_id: int
    workspace_id: int
    occurred_at: datetime
    source: str
    device_type: str
    os: str | None
    browser: str | None
    is_bot: bool
    country: str | None
    referrer_host: str | None
    language: str | None
    visitor_hash: str
    event_id: str | None = None
    outcome: str = "destination"
    variant: str | None = None

    @property
    def served(self) -> bool:
        """Sent on to the link's destination (or a rule's, or a variant's): what scanCount
        and a scan limit count. A fallback or a 410 is a visit, not a served scan."""
        return self.outcome not in ("fallback", "gone")


def enrich(raw: RawScan, *, geoip: GeoIPReader | None = None, secret: bytes) -> EnrichedScan:
    user_agent = raw.user_agent or ""
    info = classify_user_agent(user_agent)
    # HEAD is what link unfurlers and uptime checkers send; a person's browser sends GET.
    is_bot = info.is_bot or raw.method.upper() == "HEAD"
    occurred_at = _as_utc(raw.occurred_at)
    languages = parse_accept_language(raw.accept_language or "")
    language = languages[0].split("-", 1)[0].lower() if languages else None
    return EnrichedScan(
        link_id=raw.link_id,
        workspace_id=raw.workspace_id,
        occurred_at=occurred_at,
        source=raw.source,
        device_type="bot" if is_bot else info.device_type,
        os=info.os,
        browser=info.browser,
        is_bot=is_bot,
        country=lookup_country(raw.ip, geoip=geoip, header_value=raw.country_header_value),
        referrer_host=referrer_host(raw.referrer),
        language=language,
        visitor_hash=visitor_hash(daily_salt(secret, occurred_at.date()), raw.ip or "", user_agent),
        event_id=raw.event_id,
        outcome=raw.outcome,
        variant=raw.variant,
    )


@lru_cache(maxsize=UA_CACHE_SIZE)
def classify_user_agent(user_agent: str) -> UserAgentInfo:
    ua = user_agent[:MAX_UA_LENGTH]
    if not ua.strip():
        # Every browser sends a user agent; an empty one is a script.
        return UserAgentInfo("bot", "other", None, None, True)
    result = ua_parser.parse(ua)
    browser = _clip(result.user_agent.family) if result.user_agent else None
    os = _clip(result.os.family) if result.os else None
    os_key = _os_key(os)
    is_bot = bool(result.device and result.device.family == "Spider") or _is_crawler(ua)
    if is_bot:
        device_type = "bot"
    else:
        device_type = _device_type(ua, os_key, result.device.brand if result.device else None)
    return UserAgentInfo(device_type, os_key, os, browser, is_bot)


def _os_key(family: str | None) -> str:
    if family is None:
        return "other"
    name = family.lower()
    if name in ("ios", "ipados"):
        return "ios"
    if name == "android":
        return "android"
    if name.startswith("windows"):
        return "windows"
    if name in ("mac os x", "macos", "mac os"):
        return "macos"
    if name in ("chrome os", "chromeos"):
        return "chromeos"
    if name in _LINUX_FAMILIES:
        return "linux"
    return "other"


_LINUX_FAMILIES = frozenset(
    {
        "linux",
        "ubuntu",
        "debian",
        "fedora",
        "red hat",
        "suse",
        "mint",
        "arch linux",
        "gentoo",
        "centos",
        "slackware",
        "mandriva",
        "kubuntu",
        "xubuntu",
    }
)


def _device_type(ua: str, os_key: str, brand: str | None) -> str:
    if _TABLET_HINT.search(ua) or brand == "Generic_Android_Tablet":
        return "tablet"
    if os_key == "android":
        # Android browsers put "Mobile" in phone user agents and leave it out on tablets.
        return "mobile" if "Mobi" in ua else "tablet"
    if _MOBILE_HINT.search(ua) or os_key == "ios":
        return "mobile"
    if os_key in ("windows", "macos", "linux", "chromeos"):
        return "desktop"
    return "other"


def _clip(family: str) -> str:
    return family[:MAX_FAMILY_LENGTH]


def _is_crawler(user_agent: str) -> bool:
    return _crawler_matcher()(user_agent)


@cache
def _crawler_matcher() -> Callable[[str], bool]:
    """All crawler-user-agents patterns as one matcher, built once.

    Python's `re` tries the ~1,500 alternatives at every position (about 1.5 ms per user
    agent); the Rust engine that `ua-parser[regex]` ships prefilters them (a few µs).
    """
    patterns = [entry["pattern"] for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA]
    try:
        import ua_parser_rs  # type: ignore[import-not-found]

        extractor = ua_parser_rs.UserAgentExtractor(
            [(pattern, "crawler", None, None, None, None) for pattern in patterns]
        )
    except Exception:  # not installed, or a pattern its regex dialect rejects
        return _python_crawler_matcher(patterns)
    return lambda ua: extractor.extract(ua) is not None


def _python_crawler_matcher(patterns: list[str]) -> Callable[[str], bool]:
    combined = re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    return lambda ua: combined.search(ua) is not None


def warm_up() -> None:
    """Load the parsers now rather than on the first request (ua-parser takes ~0.2 s)."""
    _crawler_matcher()
    ua_parser.parse("Mozilla/5.0")


@lru_cache(maxsize=ACCEPT_LANGUAGE_CACHE_SIZE)
def parse_accept_language(header: str) -> tuple[str, ...]:
    """Language tags by preference (q descending, header order on ties), q=0 and * dropped."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:MAX_ACCEPT_LANGUAGE_LENGTH].split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not LANGUAGE_TAG.fullmatch(tag):
            continue
        quality = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                quality = float(value)
            except ValueError:
                continue
            if not 0.0 < quality <= 1.0:
                continue
        weighted.append((-quality, index, normalise_language_tag(tag)))
        if len(weighted) >= MAX_LANGUAGES:
            break
    weighted.sort()
    seen: dict[str, None] = {}
    for _, _, tag in weighted:
        seen.setdefault(tag, None)
    return tuple(seen)


def normalise_language_tag(tag: str) -> str:
    """Conventional BCP 47 casing: "pt-br" -> "pt-BR", "zh-hant-tw" -> "zh-Hant-TW"."""
    primary, *subtags = tag.split("-")
    out = [primary.lower()]
    for subtag in subtags:
        if len(subtag) == 2 and subtag.isalpha():
            out.append(subtag.upper())
        elif len(subtag) == 4 and subtag.isalpha():
            out.append(subtag.title())
        else:
            out.append(subtag.lower())
    return "-".join(out)


def lookup_country(
    ip: str | None, *, geoip: GeoIPReader | None = None, header_value: str | None = None
) -> str | None:
    """ISO 3166-1 alpha-2 from the GeoIP database, else from the trusted CDN header."""
    if geoip is not None and (address := _plain_ip(ip)) is not None:
        try:
            record = geoip.get(address)
        except ValueError:  # IPv6 in an IPv4-only database
            record = None
        if (code := _country_from_record(record)) is not None:
            return code
    return _country_code(header_value)


def _plain_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; not every database
    # aliases that range to its IPv4 tree.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _country_from_record(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    # GeoIP2/GeoLite2 and DB-IP: {"country": {"iso_code": "DE"}}; ipinfo: {"country": "DE"}.
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, Mapping):
            value = value.get("iso_code")
        if (code := _country_code(value)) is not None:
            return code
    return _country_code(record.get("country_code"))


def _country_code(value: Any) -> str | None:
    # Pseudo codes such as XX (unknown), T1 (Tor), A1/A2 (proxy/satellite), EU/AP are dropped.
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in COUNTRY_CODES else None


def referrer_host(referrer: str | None) -> str | None:
    if not referrer or not referrer.strip():
        return None
    try:
        host = urlsplit(referrer.strip()).hostname
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return None
    if not host or len(host) > MAX_HOST_LENGTH or not _HOST.fullmatch(host):
        return None
    return host.lower()


@lru_cache(maxsize=8)  # a pure function of the day: computed once a day, not once a scan
def daily_salt(secret: bytes, day: date) -> bytes:
    """A salt per UTC day derived from the secret, so no salt table is kept or rotated.

    Hashes from different days cannot be joined, which keeps visitors from being
    followed across days even by someone holding the scan table.
    """
    return hmac.new(secret, _SALT_CONTEXT + day.isoformat().encode(), hashlib.sha256).digest()


def visitor_hash(salt: bytes, ip: str, user_agent: str) -> str:
    # The NUL separators keep ("1.2.3.4", "5x") and ("1.2.3.45", "x") apart.
    material = salt + b"\0" + ip.encode() + b"\0" + user_agent.encode("utf-8", "replace")
    return hashlib.sha256(material).hexdigest()[:VISITOR_HASH_LENGTH]


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # the redirect records UTC; a naive value is UTC missing its tag
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
