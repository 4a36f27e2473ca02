from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.links.rules import (
    MAX_CONDITIONS,
    MAX_RULES,
    RequestFacts,
    choose_destination,
    compile_rules,
    request_facts,
    validate_rules,
)
from app.errors import InvalidInput

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"
)
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def facts(**overrides: Any) -> RequestFacts:
    values: dict[str, Any] = {
        "device": "desktop",
        "os": "windows",
        "country": "DE",
        "languages": ("de-DE", "en"),
        "query": {},
        "now": NOW,
        "ip": "203.0.113.7",
    }
    values.update(overrides)
    return RequestFacts(**values)


def rule(kind: str, value: str, destination: str = "https://example.com/rule") -> dict[str, Any]:
    return {"destination": destination, "conditions": [{"type": kind, "value": value}]}


def matches(kind: str, value: str, request: RequestFacts) -> bool:
    rules = validate_rules([rule(kind, value)])
    return choose_destination(rules, request) == "https://example.com/rule"


def problem_fields(rules: Any) -> dict[tuple[str, ...], str]:
    with pytest.raises(InvalidInput) as caught:
        validate_rules(rules)
    return {problem.field: problem.code for problem in caught.value.problems}


# -- matching, one condition type at a time --------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "request_", "expected"),
    [
        ("DEVICE", "mobile", facts(device="mobile"), True),
        ("DEVICE", "mobile,tablet", facts(device="tablet"), True),
        ("DEVICE", "mobile", facts(device="desktop"), False),
        ("DEVICE", "desktop", facts(device="bot"), False),
        ("OS", "ios", facts(os="ios"), True),
        ("OS", "android,ios", facts(os="android"), True),
        ("OS", "macos", facts(os="windows"), False),
        ("COUNTRY", "DE", facts(country="DE"), True),
        ("COUNTRY", "us,ca", facts(country="CA"), True),
        ("COUNTRY", "US,CA", facts(country="DE"), False),
        ("COUNTRY", "US", facts(country=None), False),
        ("LANGUAGE", "de", facts(languages=("de-DE", "en")), True),
        ("LANGUAGE", "pt-BR", facts(languages=("pt-br",)), True),
        ("LANGUAGE", "pt-BR", facts(languages=("pt-PT",)), False),
        ("LANGUAGE", "pt-BR", facts(languages=("pt",)), False),
        ("LANGUAGE", "en", facts(languages=("de-DE", "en")), False),
        ("LANGUAGE", "en", facts(languages=()), False),
        ("QUERY_PARAM", "utm=print", facts(query={"utm": "print"}), True),
        ("QUERY_PARAM", "utm=print", facts(query={"utm": "web"}), False),
        ("QUERY_PARAM", "utm", facts(query={"utm": ""}), True),
        ("QUERY_PARAM", "utm", facts(query={"other": "1"}), False),
        ("QUERY_PARAM", "flag=", facts(query={"flag": ""}), True),
        ("BEFORE", "2030-06-01T12:00:01Z", facts(), True),
        ("BEFORE", "2030-06-01T12:00:00Z", facts(), False),
        ("BEFORE", "2030-06-01T14:00:01+02:00", facts(), True),
        ("AFTER", "2030-06-01T12:00:00Z", facts(), True),
        ("AFTER", "2030-06-01T12:00:01Z", facts(), False),
        ("AFTER", "2030-06-01T13:00:00+02:00", facts(), True),
        ("IP_CIDR", "203.0.113.0/24", facts(), True),
        ("IP_CIDR", "10.0.0.0/8, 203.0.113.7", facts(), True),
        ("IP_CIDR", "10.0.0.0/8", facts(), False),
        ("IP_CIDR", "203.0.113.0/24", facts(ip="::ffff:203.0.113.9"), True),
        ("IP_CIDR", "2001:db8::/32", facts(ip="2001:db8::1"), True),
        ("IP_CIDR", "2001:db8::/32", facts(ip="2001:db9::1"), False),
        ("IP_CIDR", "0.0.0.0/0", facts(ip="::1"), False),
        ("IP_CIDR", "0.0.0.0/0", facts(ip=None), False),
        ("IP_CIDR", "0.0.0.0/0", facts(ip="not an ip"), False),
    ],
)
def test_each_condition_type_matches_or_not(
    kind: str, value: str, request_: RequestFacts, expected: bool
) -> None:
    assert matches(kind, value, request_) is expected


def test_first_matching_rule_wins() -> None:
    rules = validate_rules(
        [
            rule("COUNTRY", "FR", "https://example.com/fr"),
            rule("DEVICE", "desktop", "https://example.com/desktop"),
            rule("COUNTRY", "DE", "https://example.com/de"),
        ]
    )
    assert choose_destination(rules, facts()) == "https://example.com/desktop"
    assert choose_destination(rules, facts(country="FR")) == "https://example.com/fr"


def test_all_conditions_of_a_rule_must_match() -> None:
    rules = validate_rules(
        [
            {
                "destination": "https://example.com/de-phone",
                "conditions": [
                    {"type": "COUNTRY", "value": "DE"},
                    {"type": "DEVICE", "value": "mobile"},
                ],
            }
        ]
    )
    assert choose_destination(rules, facts(device="mobile")) == "https://example.com/de-phone"
    assert choose_destination(rules, facts(device="desktop")) is None
    assert choose_destination(rules, facts(device="mobile", country="AT")) is None


def test_no_rules_or_no_match_gives_none() -> None:
    assert choose_destination([], facts()) is None
    assert choose_destination(validate_rules([rule("OS", "linux")]), facts()) is None


def test_a_damaged_stored_rule_never_matches_and_never_raises() -> None:
    stored = [
        {"destination": "https://example.com/a", "conditions": [{"type": "IP_CIDR", "value": "x"}]},
        {"destination": "https://example.com/b", "conditions": [{"type": "NOPE", "value": "x"}]},
        {"destination": "https://example.com/c", "conditions": []},
        {"destination": "https://example.com/d", "conditions": [{"type": "BEFORE", "value": "1"}]},
        "garbage",
        {
            "destination": "https://example.com/e",
            "conditions": [{"type": "OS", "value": "windows"}],
        },
    ]
    assert choose_destination(stored, facts()) == "https://example.com/e"


def test_compiled_rules_list_the_condition_types_they_use() -> None:
    rules = validate_rules([rule("COUNTRY", "DE"), rule("DEVICE", "mobile")])
    assert compile_rules(rules).condition_types == {"COUNTRY", "DEVICE"}


def test_compiled_rules_choose_like_stored_rules() -> None:
    rules = validate_rules([rule("COUNTRY", "FR", "https://example.com/fr"), rule("OS", "windows")])
    compiled = compile_rules(rules)
    assert compile_rules(rules) is compiled  # cached by content
    for request in (facts(), facts(country="FR"), facts(os="linux")):
        assert choose_destination(compiled, request) == choose_destination(rules, request)


@pytest.mark.parametrize("stored", [None, 42, "rules", {"a": 1}, [{"conditions": 5}], [[1, 2]]])
def test_garbage_stored_rules_never_match(stored: Any) -> None:
    assert choose_destination(stored, facts()) is None


# -- request facts ----------------------------------------------------------------------------


def test_request_facts_classify_the_user_agent() -> None:
    phone = request_facts(IPHONE, None, {}, None, None, NOW)
    assert (phone.device, phone.os) == ("mobile", "ios")
    tablet = request_facts(ANDROID_TABLET, None, {}, None, None, NOW)
    assert (tablet.device, tablet.os) == ("tablet", "android")
    desktop = request_facts(WINDOWS_EDGE, None, {}, None, None, NOW)
    assert (desktop.device, desktop.os) == ("desktop", "windows")
    nobody = request_facts(None, None, {}, None, None, NOW)
    assert (nobody.device, nobody.os) == ("bot", "other")


def test_request_facts_order_languages_by_quality() -> None:
    found = request_facts(None, "en;q=0.5, fr-ch, de;q=0.9, *;q=0.1, it;q=0", {}, None, None, NOW)
    assert list(found.languages) == ["fr-CH", "de", "en"]


def test_request_facts_parse_a_raw_query_string_keeping_the_first_value() -> None:
    found = request_facts(None, None, "a=1&a=2&b=&c=%20x", None, None, NOW)
    assert found.query == {"a": "1", "b": "", "c": " x"}


def test_request_facts_keep_only_real_country_codes() -> None:
    assert request_facts(None, None, {}, None, " de ", NOW).country == "DE"
    assert request_facts(None, None, {}, None, "XX", NOW).country is None
    assert request_facts(None, None, {}, None, "T1", NOW).country is None


def test_rules_match_on_facts_built_from_a_request() -> None:
    rules = validate_rules(
        [
            {
                "destination": "https://example.com/app",
                "conditions": [
                    {"type": "OS", "value": "iOS"},
                    {"type": "LANGUAGE", "value": "de"},
                    {"type": "QUERY_PARAM", "value": "qr=1"},
                ],
            }
        ]
    )
    request = request_facts(IPHONE, "de-AT,de;q=0.9", "qr=1", "198.51.100.1", "AT", NOW)
    assert choose_destination(rules, request) == "https://example.com/app"


# -- validation: normalisation ----------------------------------------------------------------


def test_validation_normalises_values() -> None:
    conditions = [
        {"type": "device", "value": " Mobile , TABLET,mobile"},
        {"type": "OS", "value": "iPadOS, Mac OS X, chromeos"},
        {"type": "COUNTRY", "value": "us, ca"},
        {"type": "LANGUAGE", "value": "PT-br, zh-hant-tw, de"},
        {"type": "QUERY_PARAM", "value": "utm_source=poster"},
        {"type": "BEFORE", "value": "2030-01-31T10:00:00+01:00"},
        {"type": "AFTER", "value": "2029-12-31T23:00:00Z"},
        {"type": "IP_CIDR", "value": "10.1.2.3/8, 2001:DB8::/32, 192.0.2.1"},
    ]
    result = validate_rules([{"destination": " https://example.com/x ", "conditions": conditions}])
    assert result == [
        {
            "destination": "https://example.com/x",
            "conditions": [
                {"type": "DEVICE", "value": "mobile,tablet"},
                {"type": "OS", "value": "ios,macos,chromeos"},
                {"type": "COUNTRY", "value": "US,CA"},
                {"type": "LANGUAGE", "value": "pt-BR,zh-Hant-TW,de"},
                {"type": "QUERY_PARAM", "value": "utm_source=poster"},
                {"type": "BEFORE", "value": "2030-01-31T09:00:00+00:00"},
                {"type": "AFTER", "value": "2029-12-31T23:00:00+00:00"},
                {"type": "IP_CIDR", "value": "10.0.0.0/8,2001:db8::/32,192.0.2.1/32"},
            ],
        }
    ]
    assert validate_rules(result) == result


def test_validation_accepts_none_as_no_rules() -> None:
    assert validate_rules(None) == []
    assert validate_rules([]) == []


class ConditionType(enum.Enum):
    COUNTRY = "country"


@dataclasses.dataclass
class ConditionInput:
    type: ConditionType
    value: str


@dataclasses.dataclass
class RuleInput:
    destination: str
    conditions: list[ConditionInput]


def test_validation_accepts_graphql_input_objects() -> None:
    given_ = [RuleInput("https://example.com", [ConditionInput(ConditionType.COUNTRY, "de")])]
    assert validate_rules(given_) == [
        {"destination": "https://example.com", "conditions": [{"type": "COUNTRY", "value": "DE"}]}
    ]


# -- validation: problems and their field paths --------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("DEVICE", "phone"),
        ("DEVICE", "mobile,,watch"),
        ("OS", "beos"),
        ("COUNTRY", "USA"),
        ("COUNTRY", "XX"),
        ("COUNTRY", "US,ZZ"),
        ("COUNTRY", ","),
        ("LANGUAGE", "german"),
        ("LANGUAGE", "d"),
        ("LANGUAGE", "de_DE"),
        ("QUERY_PARAM", "=value"),
        ("QUERY_PARAM", "a=1&b=2"),
        ("BEFORE", "tomorrow"),
        ("BEFORE", "2030-01-01T00:00:00"),
        ("AFTER", "2030-01-01"),
        ("AFTER", "0001-01-01T00:00:00+01:00"),
        ("IP_CIDR", "10.0.0.0/33"),
        ("IP_CIDR", "example.com"),
        ("IP_CIDR", "10.0.0.0/8,300.1.1.1"),
        ("DEVICE", "   "),
        ("DEVICE", "x" * 2000),
    ],
)
def test_bad_values_are_reported_at_their_value(kind: str, value: str) -> None:
    rules = [
        {
            "destination": "https://example.com",
            "conditions": [{"type": "DEVICE", "value": "mobile"}, {"type": kind, "value": value}],
        }
    ]
    assert problem_fields(rules) == {("rules", "0", "conditions", "1", "value"): "INVALID_RULE"}


@pytest.mark.parametrize(
    "destination",
    [
        None,
        "",
        42,
        "example.com/path",
        "/relative",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com/file",
        "https://",
        "https://exa mple.com/",
        "https://example.com/a\nb",
        "https://example.com:99999/",
        "https://[::1/",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_bad_destinations_are_invalid_url(destination: Any) -> None:
    rules = [{"destination": destination, "conditions": [{"type": "DEVICE", "value": "mobile"}]}]
    assert problem_fields(rules) == {("rules", "0", "destination"): "INVALID_URL"}


def test_every_problem_is_collected() -> None:
    rules = [
        rule("DEVICE", "mobile"),
        {
            "destination": "nope",
            "conditions": [
                {"type": "COUNTRY", "value": "Germany"},
                {"type": "WEATHER", "value": "rain"},
                {"type": "OS", "value": ""},
            ],
        },
        {"destination": "https://example.com"},
    ]
    assert problem_fields(rules) == {
        ("rules", "1", "destination"): "INVALID_URL",
        ("rules", "1", "conditions", "0", "value"): "INVALID_RULE",
        ("rules", "1", "conditions", "1", "type"): "INVALID_RULE",
        ("rules", "1", "conditions", "2", "value"): "INVALID_RULE",
        ("rules", "2", "conditions"): "INVALID_RULE",
    }


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ("DEVICE=mobile", ("rules",)),
        ({"destination": "https://example.com"}, ("rules",)),
        (42, ("rules",)),
        (["rule"], ("rules", "0")),
        ([None], ("rules", "0")),
        ([{"destination": "https://example.com", "conditions": []}], ("rules", "0", "conditions")),
        (
            [{"destination": "https://example.com", "conditions": "DEVICE"}],
            ("rules", "0", "conditions"),
        ),
        (
            [{"destination": "https://example.com", "conditions": {"type": "OS"}}],
            ("rules", "0", "conditions"),
        ),
        (
            [{"destination": "https://example.com", "conditions": [["DEVICE", "mobile"]]}],
            ("rules", "0", "conditions", "0"),
        ),
        (
            [{"destination": "https://example.com", "conditions": [{"type": "OS"}]}],
            ("rules", "0", "conditions", "0", "value"),
        ),
        (
            [{"destination": "https://example.com", "conditions": [{"type": "OS", "value": 3}]}],
            ("rules", "0", "conditions", "0", "value"),
        ),
        (
            [{"destination": "https://example.com", "conditions": [{"type": 3, "value": "ios"}]}],
            ("rules", "0", "conditions", "0", "type"),
        ),
        (
            [
                {
                    "destination": "https://example.com",
                    "conditions": [{"type": "OS", "value": "ios", "negate": True}],
                }
            ],
            ("rules", "0", "conditions", "0"),
        ),
        (
            [{**rule("OS", "ios"), "priority": 1}],
            ("rules", "0"),
        ),
    ],
)
def test_bad_shapes_are_problems_at_their_path(rules: Any, field: tuple[str, ...]) -> None:
    assert problem_fields(rules) == {field: "INVALID_RULE"}


def test_too_many_rules() -> None:
    rules = [rule("DEVICE", "mobile")] * (MAX_RULES + 1)
    assert problem_fields(rules) == {("rules",): "INVALID_RULE"}
    assert len(validate_rules(rules[:MAX_RULES])) == MAX_RULES


def test_too_many_conditions() -> None:
    condition = {"type": "DEVICE", "value": "mobile"}
    too_many = {"destination": "https://example.com", "conditions": [condition] * 11}
    assert MAX_CONDITIONS == 10
    assert problem_fields([too_many]) == {("rules", "0", "conditions"): "INVALID_RULE"}


# -- validation: any input ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
condition_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["DEVICE", "OS", "COUNTRY", "LANGUAGE", "QUERY_PARAM", "BEFORE", "AFTER", "IP_CIDR"]
        )
        | st.text(max_size=12),
        "value": st.text(max_size=40)
        | st.sampled_from(["mobile", "ios", "US,CA", "pt-BR", "a=b", "2030-01-01T00:00Z", "::/0"])
        | json_values,
    }
)
rule_like = st.fixed_dictionaries(
    {
        "destination": st.sampled_from(["https://example.com/x", "http://a.b"]) | json_values,
        "conditions": st.lists(condition_like | json_values, max_size=4) | json_values,
    }
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(rule_like | json_values, max_size=4) | json_values)
def test_any_json_input_is_normalised_or_rejected_with_problems(rules: Any) -> None:
    try:
        result = validate_rules(rules)
    except InvalidInput as error:
        assert error.problems
        assert all(problem.field[0] == "rules" for problem in error.problems)
        return
    assert validate_rules(result) == result  # normalised output is a fixed point
    request = facts(now=datetime.now(timezone(timedelta(hours=3))))
    destination = choose_destination(result, request)
    assert destination is None or destination in {r["destination"] for r in result}


optional_text = st.none() | st.text(max_size=60)


@settings(max_examples=200, deadline=None, database=None)
@given(
    user_agent=optional_text,
    accept_language=optional_text,
    query=st.text(max_size=60) | st.dictionaries(st.text(max_size=8), st.text(max_size=8)),
    ip=optional_text | st.ip_addresses().map(str),
    country=optional_text,
)
def test_request_facts_accept_any_request(
    user_agent: str | None,
    accept_language: str | None,
    query: Any,
    ip: str | None,
    country: str | None,
) -> None:
    request = request_facts(user_agent, accept_language, query, ip, country, NOW)
    rules = validate_rules(
        [rule(kind, value) for kind, value in [("IP_CIDR", "::/0,0.0.0.0/0"), ("LANGUAGE", "en")]]
    )
    assert choose_destination(rules, request) in (None, "https://example.com/rule")
