"""The text a QR code carries for each data type, in the de-facto formats phone scanners parse.

`build_payload` validates untrusted JSON and raises `InvalidInput` listing every problem of the
payload (code + field path under ("data", ...)); it never raises anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from app.errors import InvalidInput
from app.rendering.contentlines import content_lines, escape_text, escape_wifi
from app.rendering.epc import epc_payload
from app.rendering.fields import (
    INVALID_DATA,
    OUT_OF_RANGE,
    REQUIRED,
    TOO_LONG,
    Fields,
)
from app.rendering.vevent import event_lines

DATA_TYPES = (
    "URL", "TEXT", "EMAIL", "PHONE", "SMS", "WIFI", "VCARD", "MECARD", "GEO", "EVENT", "CRYPTO",
    "EPC",
)  # fmt: skip
INVALID_DATA_TYPE = "INVALID_DATA_TYPE"

# Limits in the range the commercial generators use; a QR code holds at most ~2900 bytes anyway
# and long payloads make dense, hard-to-scan codes.
MAX_TEXT = 1024
MAX_SUBJECT = 255
MAX_BODY = 1024
MAX_SMS = 1024
MAX_SSID_BYTES = 32  # 802.11: an SSID is at most 32 octets
MAX_NAME = 100
MAX_NOTE = 1024
MAX_TITLE = 255
MAX_LOCATION = 255
MAX_LABEL = 128


def build_payload(data_type: str, data: Mapping[str, Any]) -> str:
    builder = BUILDERS.get(data_type) if isinstance(data_type, str) else None
    if builder is None:
        raise InvalidInput.one(
            INVALID_DATA_TYPE, f"dataType must be one of {', '.join(DATA_TYPES)}", ("dataType",)
        )
    return builder(data)


def url_payload(data: Any) -> str:
    f = Fields(data, ("url",))
    url = f.url("url", required=True)
    f.raise_if_any()
    assert url is not None
    return url


def text_payload(data: Any) -> str:
    f = Fields(data, ("text",))
    text = f.string("text", required=True, max_len=MAX_TEXT)
    f.raise_if_any()
    assert text is not None
    return text


def email_payload(data: Any) -> str:
    f = Fields(data, ("address", "subject", "body"))
    address = f.email("address", required=True)
    subject = f.string("subject", max_len=MAX_SUBJECT, multiline=False)
    body = f.string("body", max_len=MAX_BODY)
    f.raise_if_any()
    assert address is not None
    # RFC 6068: everything outside unreserved is percent-encoded, line breaks as %0D%0A.
    query = []
    if subject:
        query.append("subject=" + quote(subject, safe=""))
    if body:
        query.append("body=" + quote(re.sub(r"\r\n|\r|\n", "\r\n", body), safe=""))
    target = "mailto:" + quote(address, safe="@!$'*+-._~")
    return target + ("?" + "&".join(query) if query else "")


def phone_payload(data: Any) -> str:
    f = Fields(data, ("phone",))
    phone = f.phone("phone", required=True)
    f.raise_if_any()
    return f"tel:{phone}"


def sms_payload(data: Any) -> str:
    f = Fields(data, ("phone", "message"))
    phone = f.phone("phone", required=True)
    message = f.string("message", max_len=MAX_SMS)
    f.raise_if_any()
    # SMSTO has no escaping: readers split at the first two colons only.
    return f"SMSTO:{phone}:{message or ''}"


WIFI_ENCRYPTIONS = ("WPA", "WEP", "nopass")
HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")


def wifi_payload(data: Any) -> str:
    f = Fields(data, ("ssid", "password", "encryption", "hidden"))
    ssid = f.string("ssid", required=True, max_len=MAX_SSID_BYTES, multiline=False)
    if ssid is not None and len(ssid.encode()) > MAX_SSID_BYTES:
        f.add(TOO_LONG, f"ssid is {len(ssid.encode())} bytes in UTF-8, at most 32", "ssid")
    encryption = f.choice("encryption", WIFI_ENCRYPTIONS, "WPA")
    password = f.string("password", max_len=64, multiline=False)
    hidden = f.boolean("hidden")
    if "encryption" in f.problem_fields():
        pass  # which password rules apply is unknown
    elif encryption == "nopass" and password is not None:
        f.add(INVALID_DATA, "password must be empty when encryption is nopass", "password")
    elif encryption == "WPA" and password is None and "password" not in f.problem_fields():
        f.add(REQUIRED, "password is required for WPA", "password")
    elif encryption == "WPA" and password is not None and not _wpa_key_ok(password):
        f.add(INVALID_DATA, "a WPA password has 8 to 63 characters (or 64 hex digits)", "password")
    elif encryption == "WEP" and password is None and "password" not in f.problem_fields():
        f.add(REQUIRED, "password is required for WEP", "password")
    elif encryption == "WEP" and password is not None and not _wep_key_ok(password):
        f.add(INVALID_DATA, "a WEP key has 5 or 13 characters, or 10 or 26 hex digits", "password")
    f.raise_if_any()
    assert ssid is not None
    parts = [f"T:{encryption}", f"S:{escape_wifi(ssid)}"]
    if password is not None:
        parts.append(f"P:{escape_wifi(password)}")
    if hidden:
        parts.append("H:true")
    return "WIFI:" + ";".join(parts) + ";;"


def _wpa_key_ok(password: str) -> bool:
    if len(password) == 64:
        return bool(HEX_RE.match(password))
    return 8 <= len(password) <= 63 and password.isascii()


def _wep_key_ok(password: str) -> bool:
    if len(password) in (10, 26):
        return bool(HEX_RE.match(password))
    return len(password) in (5, 13) and password.isascii()


CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "org", "title", "url", "note")


def _contact(data: Any) -> tuple[Fields, dict[str, str]]:
    f = Fields(data, CONTACT_FIELDS)
    values = {
        "first_name": f.string("first_name", max_len=MAX_NAME, multiline=False),
        "last_name": f.string("last_name", max_len=MAX_NAME, multiline=False),
        "org": f.string("org", max_len=MAX_NAME, multiline=False),
        "title": f.string("title", max_len=MAX_NAME, multiline=False),
        "phone": f.phone("phone"),
        "email": f.email("email"),
        "url": f.url("url"),
        "note": f.string("note", max_len=MAX_NOTE),
    }
    named = any(f.data.get(k) not in (None, "") for k in ("first_name", "last_name", "org"))
    if not named:
        f.add(REQUIRED, "one of first_name, last_name or org is required")
    return f, {k: v for k, v in values.items() if v is not None}


def vcard_payload(data: Any) -> str:
    f, c = _contact(data)
    f.raise_if_any()
    first, last = c.get("first_name", ""), c.get("last_name", "")
    full = " ".join(p for p in (first, last) if p) or c["org"]
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    lines.append(f"N:{escape_text(last)};{escape_text(first)};;;")
    lines.append(f"FN:{escape_text(full)}")
    for key, prop in (("org", "ORG"), ("title", "TITLE")):
        if key in c:
            lines.append(f"{prop}:{escape_text(c[key])}")
    if "phone" in c:
        lines.append(f"TEL;TYPE=CELL:{c['phone']}")
    if "email" in c:
        lines.append(f"EMAIL;TYPE=INTERNET:{c['email']}")
    if "url" in c:
        lines.append(f"URL:{c['url']}")  # a URI value, not TEXT: commas stay unescaped
    if "note" in c:
        lines.append(f"NOTE:{escape_text(c['note'])}")
    lines.append("END:VCARD")
    return content_lines(lines)


def mecard_payload(data: Any) -> str:
    f, c = _contact(data)
    if "title" in c:
        # MECARD (NTT docomo) has no job title; dropping it silently would lose data.
        f.add(INVALID_DATA, "MECARD has no title field; use VCARD for a job title", "title")
    f.raise_if_any()
    first, last = c.get("first_name", ""), c.get("last_name", "")
    if first or last:
        name = escape_wifi(last) + ("," + escape_wifi(first) if first else "")
    else:
        name = escape_wifi(c["org"])
    parts = [f"N:{name}"]
    for key, prop in (("phone", "TEL"), ("email", "EMAIL"), ("org", "ORG"), ("url", "URL")):
        if key in c:
            parts.append(f"{prop}:{escape_wifi(c[key])}")
    if "note" in c:
        parts.append("NOTE:" + escape_wifi(c["note"].replace("\r\n", "\n")))
    return "MECARD:" + ";".join(parts) + ";;"


def geo_payload(data: Any) -> str:
    f = Fields(data, ("latitude", "longitude"))
    lat = f.number("latitude", required=True)
    lon = f.number("longitude", required=True)
    if lat is not None and not -90 <= lat <= 90:
        f.add(OUT_OF_RANGE, "latitude must be between -90 and 90", "latitude")
    if lon is not None and not -180 <= lon <= 180:
        f.add(OUT_OF_RANGE, "longitude must be between -180 and 180", "longitude")
    f.raise_if_any()
    assert lat is not None and lon is not None
    return f"geo:{_coordinate(lat)},{_coordinate(lon)}"


def _coordinate(value: float) -> str:
    # 7 decimals is ~1 cm; no exponent notation, no "-0".
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def event_payload(data: Any) -> str:
    f = Fields(data, ("title", "date_start", "date_end", "location", "description", "timezone"))
    title = f.string("title", required=True, max_len=MAX_TITLE, multiline=False)
    location = f.string("location", max_len=MAX_LOCATION, multiline=False)
    description = f.string("description", max_len=MAX_NOTE)
    lines = event_lines(f, title or "", location, description)
    f.raise_if_any()
    return content_lines(lines)


CURRENCIES = ("bitcoin", "ethereum")
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BTC_LEGACY_RE = re.compile(rf"^[13mn2][{BASE58}]{{25,34}}$")
BTC_BECH32_RE = re.compile(r"^(bc1|tb1|bcrt1)[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{8,87}$")
ETH_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
MAX_BTC = Decimal(21_000_000)


def crypto_payload(data: Any) -> str:
    f = Fields(data, ("currency", "address", "amount", "label", "message"))
    currency = f.choice("currency", CURRENCIES, "")
    if not currency and "currency" not in f.problem_fields():
        f.add(REQUIRED, "currency is required (bitcoin or ethereum)", "currency")
    address = f.string("address", required=True, max_len=90, multiline=False)
    amount = f.decimal("amount")
    label = f.string("label", max_len=MAX_LABEL, multiline=False)
    message = f.string("message", max_len=MAX_LABEL, multiline=False)
    if amount is not None and amount <= 0:
        f.add(OUT_OF_RANGE, "amount must be greater than 0", "amount")
        amount = None
    if currency == "bitcoin":
        if address is not None and not _bitcoin_address_ok(address):
            f.add(INVALID_DATA, "address is not a Bitcoin address", "address")
        if amount is not None and (amount > MAX_BTC or _decimals(amount) > 8):
            f.add(OUT_OF_RANGE, "amount must be at most 21,000,000 with 8 decimals", "amount")
    elif currency == "ethereum":
        if address is not None and not ETH_RE.match(address):
            f.add(INVALID_DATA, "address is not an Ethereum address (0x + 40 hex)", "address")
        if amount is not None and (amount > Decimal(10) ** 12 or _decimals(amount) > 18):
            f.add(OUT_OF_RANGE, "amount must be in ether with at most 18 decimals", "amount")
        for name, value in (("label", label), ("message", message)):
            if value is not None:
                f.add(INVALID_DATA, f"EIP-681 ethereum URIs have no {name}", name)
    f.raise_if_any()
    if currency == "ethereum":
        wei = int(amount * 10**18) if amount is not None else None
        return f"ethereum:{address}" + (f"?value={wei}" if wei is not None else "")
    # BIP21: amount in BTC as a plain decimal, label/message percent-encoded.
    query = []
    if amount is not None:
        query.append("amount=" + _plain_decimal(amount))
    if label:
        query.append("label=" + quote(label, safe=""))
    if message:
        query.append("message=" + quote(message, safe=""))
    return f"bitcoin:{address}" + ("?" + "&".join(query) if query else "")


def _decimals(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _bitcoin_address_ok(address: str) -> bool:
    if BTC_LEGACY_RE.match(address):
        return True
    # Bech32 is all one case; BIP173 allows upper case (denser in a QR code).
    lower = address.lower()
    return (address in (lower, address.upper())) and bool(BTC_BECH32_RE.match(lower))


def _plain_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


BUILDERS: dict[str, Callable[[Any], str]] = {
    "URL": url_payload,
    "TEXT": text_payload,
    "EMAIL": email_payload,
    "PHONE": phone_payload,
    "SMS": sms_payload,
    "WIFI": wifi_payload,
    "VCARD": vcard_payload,
    "MECARD": mecard_payload,
    "GEO": geo_payload,
    "EVENT": event_payload,
    "CRYPTO": crypto_payload,
    "EPC": epc_payload,
}
