"""Redirect rules: an ordered list of (destination, conditions); the first rule whose
conditions all hold for the request wins, otherwise the link's own destination applies.

A rule as stored (the output of `validate_rules`, plain JSON):

    {"destination": "https://example.com/de", "conditions": [{"type": "COUNTRY", "value": "DE,AT"}]}

Condition values, normalised by `validate_rules`; a comma-separated list matches any item:

    DEVICE       mobile | tablet | desktop (list)
    OS           ios | android | windows | macos | linux | chromeos | other (list)
    COUNTRY      ISO 3166-1 alpha-2, "US,CA"
    LANGUAGE     BCP 47 tags, "de" or "pt-BR" (list); matched against the visitor's most
                 preferred language, "pt" also matching "pt-BR"
    QUERY_PARAM  "key=value" (that value) or "key" (present with any value)
    BEFORE       ISO 8601 instant with a timezone, stored UTC; holds while now < value
    AFTER        the same; holds once now >= value
    IP_CIDR      IPv4/IPv6 networks or addresses (list)
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from app.domain.scans.enrich import (
    COUNTRY_CODES,
    LANGUAGE_TAG,
    OS_KEYS,
    classify_user_agent,
    normalise_language_tag,
    parse_accept_language,
)
from app.errors import InvalidInput, Problem
from app.security.urls import url_problem

MAX_RULES = 20
MAX_CONDITIONS = 10
# Enough for a long list of countries or networks; bounds the work a stored rule can cause.
MAX_VALUE_LENGTH = 1024
MAX_LIST_ITEMS = 100
# Links with rules are few but hot; their compiled form is reused across requests.
COMPILED_CACHE_SIZE = 1024

INVALID_RULE = "INVALID_RULE"
INVALID_URL = "INVALID_URL"

CONDITION_TYPES = (
    "DEVICE",
    "OS",
    "COUNTRY",
    "LANGUAGE",
    "QUERY_PARAM",
    "BEFORE",
    "AFTER",
    "IP_CIDR",
)
RULE_DEVICES = ("mobile", "tablet", "desktop")
_OS_ALIASES = {
    "ipados": "ios",
    "iphone": "ios",
    "mac": "macos",
    "macosx": "macos",
    "osx": "macos",
    "mac os x": "macos",
    "mac os": "macos",
    "win": "windows",
    "chrome os": "chromeos",
    "cros": "chromeos",
}

Matcher = Callable[["RequestFacts"], bool]


@dataclass(frozen=True, slots=True)
class RequestFacts:
    device: str  # mobile | tablet | desktop | bot | other
    os: str  # one of OS_KEYS
    country: str | None  # ISO 3166-1 alpha-2, upper case
    languages: Sequence[str]  # from Accept-Language, most preferred first
    query: Mapping[str, str]
    now: datetime  # timezone-aware
    ip: str | None


def request_facts(
    user_agent: str | None,
    accept_language: str | None,
    query: Mapping[str, str] | str,
    ip: str | None,
    country: str | None,
    now: datetime,
) -> RequestFacts:
    """The facts rules look at; the parsing is cached, so this is cheap per request.

    `query` is a mapping or the raw query string (the first occurrence of a key wins).
    """
    info = classify_user_agent(user_agent or "")
    if isinstance(query, str):
        query = _parse_query(query)
    code = country.strip().upper() if country else None
    return RequestFacts(
        device=info.device_type,
        os=info.os_key,
        country=code if code in COUNTRY_CODES else None,
        languages=parse_accept_language(accept_language or ""),
        query=query,
        now=now,
        ip=ip,
    )


def _parse_query(query: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parsed.setdefault(key, value)
    return parsed


def choose_destination(
    rules: CompiledRules | Sequence[Mapping[str, Any]], facts: RequestFacts
) -> str | None:
    """The destination of the first rule whose conditions all hold, or None.

    Given stored rules, they are compiled (and the result cached by content) first; a caller
    that keeps `compile_rules(link.rules)` beside its cached link skips that step.
    """
    chosen = choose_rule(rules, facts)
    return chosen[1] if chosen is not None else None


def choose_rule(
    rules: CompiledRules | Sequence[Mapping[str, Any]], facts: RequestFacts
) -> tuple[int, str] | None:
    """(1-based number, destination) of the first rule whose conditions all hold, or None:
    the number is what analytics call the outcome (`rule 2`)."""
    if not isinstance(rules, CompiledRules):
        if not rules:
            return None
        rules = compile_rules(rules)
    for number, (destination, matchers) in enumerate(rules.rules, 1):
        if all(matcher(facts) for matcher in matchers):
            return number, destination
    return None


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """Stored rules as ready-to-call matchers, plus the condition types they use (so a
    caller can skip e.g. a GeoIP lookup when no rule looks at the country)."""

    rules: tuple[tuple[str, tuple[Matcher, ...]], ...]
    condition_types: frozenset[str]


def compile_rules(rules: Sequence[Mapping[str, Any]]) -> CompiledRules:
    return _compile(_freeze(rules))


# -- compiling stored rules into matchers ------------------------------------------------------

_Frozen = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def _freeze(rules: Sequence[Mapping[str, Any]]) -> _Frozen:
    # A hashable copy for the cache key; anything malformed in a stored row is dropped.
    if not isinstance(rules, Sequence):
        return ()
    frozen = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        conditions = rule.get("conditions")
        if not isinstance(conditions, Sequence) or isinstance(conditions, str):
            conditions = ()
        pairs = tuple(
            (str(c.get("type")), str(c.get("value"))) for c in conditions if isinstance(c, Mapping)
        )
        frozen.append((str(rule.get("destination")), pairs))
    return tuple(frozen)


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compile(rules: _Frozen) -> CompiledRules:
    compiled = []
    for destination, conditions in rules:
        if not conditions:
            continue  # validation forbids it; an unconditional stored rule is not trusted
        compiled.append((destination, tuple(_matcher(kind, value) for kind, value in conditions)))
    kinds = frozenset(kind for _, conditions in rules for kind, _ in conditions)
    return CompiledRules(tuple(compiled), kinds)


def _never(facts: RequestFacts) -> bool:
    return False


def _matcher(kind: str, value: str) -> Matcher:
    # Stored rules were validated; anything that no longer parses simply never matches,
    # because a redirect must not fail over a bad row.
    try:
        if kind == "DEVICE":
            devices = frozenset(_items(value.lower()))
            return lambda facts: facts.device in devices
        if kind == "OS":
            systems = frozenset(_items(value.lower()))
            return lambda facts: facts.os in systems
        if kind == "COUNTRY":
            countries = frozenset(_items(value.upper()))
            return lambda facts: facts.country in countries
        if kind == "LANGUAGE":
            return _language_matcher(tuple(item.lower() for item in _items(value)))
        if kind == "QUERY_PARAM":
            return _query_matcher(value)
        if kind == "BEFORE":
            before = _parse_instant(value)
            return lambda facts: facts.now < before
        if kind == "AFTER":
            after = _parse_instant(value)
            return lambda facts: facts.now >= after
        if kind == "IP_CIDR":
            return _network_matcher(
                [ipaddress.ip_network(item, strict=False) for item in _items(value)]
            )
    except (ValueError, OverflowError):
        pass
    return _never


def _language_matcher(tags: tuple[str, ...]) -> Matcher:
    def matches(facts: RequestFacts) -> bool:
        if not facts.languages:
            return False
        # Basic filtering (RFC 4647): "pt" covers "pt-BR"; "pt-BR" does not cover "pt".
        preferred = facts.languages[0].lower()
        return any(preferred == tag or preferred.startswith(tag + "-") for tag in tags)

    return matches


def _query_matcher(value: str) -> Matcher:
    key, has_value, expected = value.partition("=")
    if has_value:
        return lambda facts: facts.query.get(key) == expected
    return lambda facts: key in facts.query


def _network_matcher(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> Matcher:
    def matches(facts: RequestFacts) -> bool:
        address = _parse_ip(facts.ip)
        return address is not None and any(
            address.version == network.version and address in network for network in networks
        )

    return matches


def _parse_ip(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _parse_instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("timezone required")
    return moment.astimezone(UTC)  # may raise OverflowError, handled by the caller


# -- validation -----------------------------------------------------------------------------


def validate_rules(rules: Any) -> list[dict[str, Any]]:
    """Normalised rules ready to store, or InvalidInput listing every problem found."""
    if rules is None:
        return []
    problems: list[Problem] = []
    if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Sequence):
        raise InvalidInput.one(INVALID_RULE, "Rules must be a list of rules.", ("rules",))
    if len(rules) > MAX_RULES:
        problems.append(Problem(INVALID_RULE, f"A link has at most {MAX_RULES} rules.", ("rules",)))
    normalised = []
    for index, rule in enumerate(rules[:MAX_RULES]):
        rule_problems: list[Problem] = []
        result = _validate_rule(_as_mapping(rule), rule_problems)
        problems.extend(p.under("rules", str(index)) for p in rule_problems)
        if result is not None:
            normalised.append(result)
    if problems:
        raise InvalidInput(problems)
    return normalised


def _as_mapping(value: Any) -> Any:
    # GraphQL input objects arrive as dataclass instances; stored rules as dicts.
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return value


def _validate_rule(rule: Any, problems: list[Problem]) -> dict[str, Any] | None:
    if not isinstance(rule, Mapping):
        problems.append(Problem(INVALID_RULE, "A rule must be an object.", ()))
        return None
    for key in rule:
        if key not in ("destination", "conditions"):
            problems.append(Problem(INVALID_RULE, f"Unknown field {str(key)[:40]!r}.", ()))
    destination = _validate_destination(rule.get("destination"), problems)
    conditions_in = rule.get("conditions")
    conditions: list[dict[str, str]] = []
    complete = True
    if isinstance(conditions_in, (str, bytes, Mapping)) or not isinstance(conditions_in, Sequence):
        complete = False
        problems.append(
            Problem(INVALID_RULE, "Conditions must be a list of conditions.", ("conditions",))
        )
    elif not conditions_in:
        complete = False
        problems.append(
            Problem(INVALID_RULE, "A rule needs at least one condition.", ("conditions",))
        )
    else:
        if len(conditions_in) > MAX_CONDITIONS:
            problems.append(
                Problem(
                    INVALID_RULE,
                    f"A rule has at most {MAX_CONDITIONS} conditions.",
                    ("conditions",),
                )
            )
        for index, condition in enumerate(conditions_in[:MAX_CONDITIONS]):
            condition_problems: list[Problem] = []
            result = _validate_condition(_as_mapping(condition), condition_problems)
            problems.extend(p.under("conditions", str(index)) for p in condition_problems)
            if result is None:
                complete = False
            else:
                conditions.append(result)
    if destination is None or not complete:
        return None
    return {"destination": destination, "conditions": conditions}


def _validate_destination(value: Any, problems: list[Problem]) -> str | None:
    field = ("destination",)
    url = value.strip() if isinstance(value, str) else value
    if message := url_problem(url):
        problems.append(Problem(INVALID_URL, message, field))
        return None
    return str(url)


def _validate_condition(condition: Any, problems: list[Problem]) -> dict[str, str] | None:
    if not isinstance(condition, Mapping):
        problems.append(Problem(INVALID_RULE, "A condition must be an object.", ()))
        return None
    for key in condition:
        if key not in ("type", "value"):
            problems.append(Problem(INVALID_RULE, f"Unknown field {str(key)[:40]!r}.", ()))
    kind = condition.get("type")
    if isinstance(kind, enum.Enum):
        kind = kind.name
    kind = kind.strip().upper() if isinstance(kind, str) else None
    if kind not in CONDITION_TYPES:
        problems.append(
            Problem(INVALID_RULE, f"Type must be one of {', '.join(CONDITION_TYPES)}.", ("type",))
        )
    value = condition.get("value")
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(INVALID_RULE, "A condition needs a value.", ("value",)))
        return None
    if len(value) > MAX_VALUE_LENGTH:
        problems.append(
            Problem(INVALID_RULE, f"Values are at most {MAX_VALUE_LENGTH} characters.", ("value",))
        )
        return None
    if kind not in CONDITION_TYPES:
        return None
    try:
        normalised = _NORMALISERS[kind](value.strip())
    except ValueError as error:
        problems.append(Problem(INVALID_RULE, str(error), ("value",)))
        return None
    return {"type": kind, "value": normalised}


def _list_of(value: str, normalise_one: Callable[[str], str]) -> str:
    items = _items(value)
    if not items:
        raise ValueError("A condition needs a value.")
    if len(items) > MAX_LIST_ITEMS:
        raise ValueError(f"A condition lists at most {MAX_LIST_ITEMS} values.")
    return ",".join(dict.fromkeys(normalise_one(item) for item in items))


def _device(item: str) -> str:
    device = item.lower()
    if device not in RULE_DEVICES:
        raise ValueError(f"Device must be one of {', '.join(RULE_DEVICES)}, not {item[:40]!r}.")
    return device


def _os(item: str) -> str:
    name = item.lower()
    name = _OS_ALIASES.get(name, name)
    if name not in OS_KEYS:
        raise ValueError(f"OS must be one of {', '.join(OS_KEYS)}, not {item[:40]!r}.")
    return name


def _country(item: str) -> str:
    code = item.upper()
    if code not in COUNTRY_CODES:
        raise ValueError(f"{item[:40]!r} is not an ISO 3166-1 alpha-2 country code.")
    return code


def _language(item: str) -> str:
    if not LANGUAGE_TAG.fullmatch(item):
        raise ValueError(f"{item[:40]!r} is not a language tag such as 'de' or 'pt-BR'.")
    return normalise_language_tag(item)


def _query_param(value: str) -> str:
    key, _, expected = value.partition("=")
    if not key.strip():
        raise ValueError("A query condition is 'key' or 'key=value'.")
    if any(ch in value for ch in "&#") or any(ch.isspace() for ch in key):
        raise ValueError("A query condition names one parameter: 'key' or 'key=value'.")
    return value if "=" in value else key


def _instant(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is not an ISO 8601 date and time, such as 2030-01-31T09:00:00Z."
        ) from None
    if moment.tzinfo is None:
        raise ValueError("Give a timezone, such as Z or +02:00.")
    try:
        return moment.astimezone(UTC).isoformat()
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before the first representable UTC
        raise ValueError("That date and time is out of range.") from None


def _network(item: str) -> str:
    try:
        return str(ipaddress.ip_network(item, strict=False))
    except ValueError:
        raise ValueError(f"{item[:50]!r} is not an IP network such as 10.0.0.0/8.") from None


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "DEVICE": lambda value: _list_of(value, _device),
    "OS": lambda value: _list_of(value, _os),
    "COUNTRY": lambda value: _list_of(value, _country),
    "LANGUAGE": lambda value: _list_of(value, _language),
    "QUERY_PARAM": _query_param,
    "BEFORE": _instant,
    "AFTER": _instant,
    "IP_CIDR": lambda value: _list_of(value, _network),
}
