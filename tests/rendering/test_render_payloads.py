from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InvalidInput
from app.rendering.payloads import DATA_TYPES, build_payload

CRLF = "\r\n"


def problems(data_type: str, data: Any) -> list[tuple[str, tuple[str, ...]]]:
    with pytest.raises(InvalidInput) as info:
        build_payload(data_type, data)
    return [(p.code, p.field) for p in info.value.problems]


def test_url_is_kept_exactly() -> None:
    url = "https://example.com/a/b?x=1&y=%20#frag"
    assert build_payload("URL", {"url": url}) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "/relative/path",
        "example.com",
        "ftp://example.com/x",
        "https://exa mple.com/",
        "http://",
        "https://host:99999/",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_url_must_be_absolute_http(url: str) -> None:
    codes = problems("URL", {"url": url})
    assert len(codes) == 1 and codes[0][1] == ("data", "url")
    assert codes[0][0] in ("INVALID_URL", "TOO_LONG")


def test_text_limits() -> None:
    assert build_payload("TEXT", {"text": "héllo\nwörld"}) == "héllo\nwörld"
    assert problems("TEXT", {"text": "x" * 1025}) == [("TOO_LONG", ("data", "text"))]
    assert problems("TEXT", {"text": ""}) == [("REQUIRED", ("data", "text"))]
    assert problems("TEXT", {"text": "a\x00b"}) == [("INVALID_DATA", ("data", "text"))]


def test_email_percent_encodes_subject_and_body() -> None:
    payload = build_payload(
        "EMAIL", {"address": "jane+qr@example.com", "subject": "Hi & bye?", "body": "a\nb=c"}
    )
    assert payload == "mailto:jane+qr@example.com?subject=Hi%20%26%20bye%3F&body=a%0D%0Ab%3Dc"
    assert build_payload("EMAIL", {"address": "a@b.co"}) == "mailto:a@b.co"


def test_email_address_shape() -> None:
    for bad in ("nope", "a@b", "a b@c.de", "@c.de", "a@-c.de"):
        assert problems("EMAIL", {"address": bad}) == [("INVALID_EMAIL", ("data", "address"))]


def test_phone_is_normalised_for_dialers() -> None:
    assert build_payload("PHONE", {"phone": "+49 (30) 123-456.7"}) == "tel:+49301234567"
    for bad in ("12", "+1 555 CALL ME", "1+2345", "1" * 16):
        assert problems("PHONE", {"phone": bad}) == [("INVALID_PHONE", ("data", "phone"))]


def test_sms() -> None:
    assert build_payload("SMS", {"phone": "+1 555 0100", "message": "hi: there"}) == (
        "SMSTO:+15550100:hi: there"
    )
    assert build_payload("SMS", {"phone": "5550100"}) == "SMSTO:5550100:"


def test_wifi_escapes_special_characters() -> None:
    payload = build_payload(
        "WIFI", {"ssid": 'My;Net,"5:G"\\', "password": 'p;a,s:s\\w"d', "hidden": True}
    )
    assert payload == 'WIFI:T:WPA;S:My\\;Net\\,\\"5\\:G\\"\\\\;P:p\\;a\\,s\\:s\\\\w\\"d;H:true;;'


def test_wifi_open_network_has_no_password() -> None:
    assert build_payload("WIFI", {"ssid": "Cafe", "encryption": "nopass"}) == (
        "WIFI:T:nopass;S:Cafe;;"
    )
    assert problems("WIFI", {"ssid": "Cafe", "encryption": "nopass", "password": "x"}) == [
        ("INVALID_DATA", ("data", "password"))
    ]


def test_wifi_limits_collect_every_problem() -> None:
    found = problems(
        "WIFI", {"ssid": "é" * 17, "password": "short", "encryption": "WPA", "bogus": 1}
    )
    assert ("UNKNOWN_FIELD", ("data", "bogus")) in found
    assert ("TOO_LONG", ("data", "ssid")) in found  # 34 bytes in UTF-8
    assert ("INVALID_DATA", ("data", "password")) in found
    assert problems("WIFI", {"ssid": "x", "encryption": "WPA3"}) == [
        ("INVALID_DATA", ("data", "encryption"))
    ]
    assert problems("WIFI", {"ssid": "x"}) == [("REQUIRED", ("data", "password"))]
    assert problems("WIFI", {"ssid": "x", "encryption": "WEP", "password": "abcdef"}) == [
        ("INVALID_DATA", ("data", "password"))
    ]
    assert build_payload("WIFI", {"ssid": "x", "encryption": "wep", "password": "abcde"}) == (
        "WIFI:T:WEP;S:x;P:abcde;;"
    )


def test_vcard_escapes_and_uses_crlf() -> None:
    payload = build_payload(
        "VCARD",
        {
            "first_name": "Jane",
            "last_name": "Doe; Jr.",
            "phone": "+1 555 0100",
            "email": "jane@example.com",
            "org": "Acme, Inc.",
            "title": "CTO",
            "url": "https://acme.example/a,b",
            "note": "line1\nline2 \\ end",
        },
    )
    assert payload == CRLF.join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "N:Doe\\; Jr.;Jane;;;",
            "FN:Jane Doe\\; Jr.",
            "ORG:Acme\\, Inc.",
            "TITLE:CTO",
            "TEL;TYPE=CELL:+15550100",
            "EMAIL;TYPE=INTERNET:jane@example.com",
            "URL:https://acme.example/a,b",
            "NOTE:line1\\nline2 \\\\ end",
            "END:VCARD",
            "",
        ]
    )


def test_vcard_folds_long_lines_at_75_octets_without_splitting_characters() -> None:
    payload = build_payload("VCARD", {"org": "Ü" * 60})
    lines = payload.split(CRLF)
    org = [i for i, line in enumerate(lines) if line.startswith("ORG:")][0]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert lines[org + 1].startswith(" ")
    unfolded = payload.replace(CRLF + " ", "")
    assert "ORG:" + "Ü" * 60 + CRLF in unfolded


def test_vcard_needs_a_name() -> None:
    assert problems("VCARD", {"phone": "+15550100"}) == [("REQUIRED", ("data",))]
    assert build_payload("VCARD", {"org": "Acme"}).startswith(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:Acme\r\nORG:Acme\r\n"
    )


def test_mecard() -> None:
    payload = build_payload(
        "MECARD",
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "phone": "+1 555 0100",
            "email": "jane@example.com",
            "note": "a;b:c",
        },
    )
    assert payload == "MECARD:N:Doe,Jane;TEL:+15550100;EMAIL:jane@example.com;NOTE:a\\;b\\:c;;"
    assert problems("MECARD", {"first_name": "J", "title": "CTO"}) == [
        ("INVALID_DATA", ("data", "title"))
    ]


def test_geo() -> None:
    assert build_payload("GEO", {"latitude": 52.520008, "longitude": 13.404954}) == (
        "geo:52.520008,13.404954"
    )
    assert build_payload("GEO", {"latitude": -0.0, "longitude": 180}) == "geo:0,180"
    assert problems("GEO", {"latitude": 91, "longitude": -181}) == [
        ("OUT_OF_RANGE", ("data", "latitude")),
        ("OUT_OF_RANGE", ("data", "longitude")),
    ]
    assert problems("GEO", {"latitude": "52.5", "longitude": True}) == [
        ("INVALID_DATA", ("data", "latitude")),
        ("INVALID_DATA", ("data", "longitude")),
    ]


def test_event_in_utc() -> None:
    payload = build_payload(
        "EVENT",
        {
            "title": "Launch, party",
            "date_start": "2025-05-01T18:30:00+02:00",
            "date_end": "2025-05-01T20:00:00Z",
            "location": "Berlin; Hall 2",
            "description": "Bring\nfriends",
        },
    )
    assert payload == CRLF.join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "SUMMARY:Launch\\, party",
            "DTSTART:20250501T163000Z",
            "DTEND:20250501T200000Z",
            "LOCATION:Berlin\\; Hall 2",
            "DESCRIPTION:Bring\\nfriends",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def test_event_with_timezone_and_all_day() -> None:
    local = build_payload(
        "EVENT",
        {
            "title": "Meetup",
            "date_start": "2025-05-01T18:30",
            "date_end": "2025-05-01T17:00:00Z",
            "timezone": "Europe/Berlin",
        },
    )
    assert "DTSTART;TZID=Europe/Berlin:20250501T183000\r\n" in local
    assert "DTEND;TZID=Europe/Berlin:20250501T190000\r\n" in local
    day = build_payload(
        "EVENT", {"title": "Fair", "date_start": "2025-05-01", "date_end": "2025-05-02"}
    )
    assert "DTSTART;VALUE=DATE:20250501\r\nDTEND;VALUE=DATE:20250503\r\n" in day


def test_event_problems() -> None:
    assert problems(
        "EVENT",
        {"title": "x", "date_start": "2025-05-02T00:00Z", "date_end": "2025-05-01T00:00Z"},
    ) == [("INVALID_DATA", ("data", "date_end"))]
    assert problems("EVENT", {"date_start": "tomorrow", "timezone": "Mars/Base"}) == [
        ("REQUIRED", ("data", "title")),
        ("INVALID_DATA", ("data", "timezone")),
        ("INVALID_DATA", ("data", "date_start")),
    ]


def test_bitcoin_bip21() -> None:
    payload = build_payload(
        "CRYPTO",
        {
            "currency": "bitcoin",
            "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "amount": 0.001,
            "label": "Tip jar",
            "message": "Thanks & bye",
        },
    )
    assert payload == (
        "bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        "?amount=0.001&label=Tip%20jar&message=Thanks%20%26%20bye"
    )
    legacy = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    assert build_payload("CRYPTO", {"currency": "bitcoin", "address": legacy, "amount": "2"}) == (
        f"bitcoin:{legacy}?amount=2"
    )


def test_ethereum_eip681_in_wei() -> None:
    address = "0x" + "aB" * 20
    assert build_payload(
        "CRYPTO", {"currency": "ethereum", "address": address, "amount": "1.5"}
    ) == (f"ethereum:{address}?value=1500000000000000000")


def test_crypto_problems() -> None:
    assert problems("CRYPTO", {"currency": "bitcoin", "address": "0x" + "a" * 40}) == [
        ("INVALID_DATA", ("data", "address"))
    ]
    assert problems(
        "CRYPTO",
        {"currency": "ethereum", "address": "0x123", "amount": -1, "label": "x"},
    ) == [
        ("OUT_OF_RANGE", ("data", "amount")),
        ("INVALID_DATA", ("data", "address")),
        ("INVALID_DATA", ("data", "label")),
    ]
    assert problems(
        "CRYPTO",
        {"currency": "bitcoin", "address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "amount": 1e-9},
    ) == [("OUT_OF_RANGE", ("data", "amount"))]
    assert problems("CRYPTO", {"address": "x"}) == [
        ("REQUIRED", ("data", "currency")),
    ]


def test_unknown_type_and_non_object_data() -> None:
    assert problems("BARCODE", {}) == [("INVALID_DATA_TYPE", ("dataType",))]
    assert problems("URL", ["https://example.com"]) == [("INVALID_DATA", ("data",))]
    assert problems("GEO", None) == [("INVALID_DATA", ("data",))]
    assert problems("TEXT", {"text": 5}) == [("INVALID_DATA", ("data", "text"))]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from(["", "https://example.com", "+15550100", "2025-05-01T10:00Z", "WPA"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
FIELDS = [
    "url", "text", "address", "subject", "body", "phone", "message", "ssid", "password",
    "encryption", "hidden", "first_name", "last_name", "email", "org", "title", "note",
    "latitude", "longitude", "date_start", "date_end", "location", "description", "timezone",
    "currency", "amount", "label", "name", "iban", "bic", "reference",
]  # fmt: skip
json_data = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DATA_TYPES), json_data)
def test_arbitrary_json_only_ever_raises_invalid_input(data_type: str, data: Any) -> None:
    try:
        payload = build_payload(data_type, data)
    except InvalidInput as exc:
        assert exc.problems and all(p.code and p.field for p in exc.problems)
    else:
        assert isinstance(payload, str) and payload
