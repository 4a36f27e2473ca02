"""EPC payment codes: the European Payments Council's SEPA credit transfer QR ("GiroCode").

The format is EPC069-12 version 002: twelve fixed lines, UTF-8, separated by LF:

    BCD / 002 / 1 (UTF-8) / SCT / BIC / name / IBAN / EUR<amount> / purpose /
    structured reference / unstructured text / information

Banking apps read it and fill in a transfer, so every field is checked the way a bank would
check it: the IBAN's length for its country and its ISO 13616 mod-97 check digits, the BIC's
shape, an RF creditor reference's own mod-97 (ISO 11649), the amount in euro cents. A
payment code sent to a mistyped IBAN is worse than no code, so a bad one is refused.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.rendering.fields import INVALID_DATA, OUT_OF_RANGE, Fields

EPC_FIELDS = ("name", "iban", "bic", "amount", "reference", "text")
MAX_NAME = 70
MAX_REFERENCE = 35
MAX_TEXT = 140
MAX_AMOUNT = Decimal("999999999.99")
MIN_AMOUNT = Decimal("0.01")
MAX_PAYLOAD_BYTES = 331  # EPC069-12: the whole payload, so the symbol stays at version 13 or below

BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
RF_RE = re.compile(r"^RF[0-9]{2}[A-Z0-9]{1,21}$")

# IBAN lengths of the SEPA scheme's countries and territories (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GG": 22, "GI": 23, "GL": 18,
    "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IM": 22, "IS": 26, "IT": 27, "JE": 22, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MT": 31, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22, "AL": 28,
    "MK": 19, "RS": 22,
}  # fmt: skip


def mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over letters-as-numbers (A=10 … Z=35), as IBAN and RF use it."""
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def iban_problem(iban: str) -> str | None:
    if not IBAN_RE.match(iban):
        return "iban must be a country code, 2 check digits and the account (letters, digits)"
    country = iban[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        return f"iban: {country} is not a SEPA country"
    if len(iban) != expected:
        return f"iban: a {country} IBAN has {expected} characters, this one has {len(iban)}"
    if mod97(iban[4:] + iban[:4]) != 1:
        return "iban: the check digits do not match (a typing error?)"
    return None


def _compact(value: str | None) -> str | None:
    """IBANs and BICs are written in groups of four; the code carries them without spaces."""
    return None if value is None else re.sub(r"\s+", "", value).upper()


def epc_payload(data: Any) -> str:
    f = Fields(data, EPC_FIELDS)
    name = f.string("name", required=True, max_len=MAX_NAME, multiline=False)
    iban = _compact(f.string("iban", required=True, max_len=50, multiline=False))
    bic = _compact(f.string("bic", max_len=20, multiline=False))
    amount = f.decimal("amount")
    reference = _compact(f.string("reference", max_len=MAX_REFERENCE + 10, multiline=False))
    text = f.string("text", max_len=MAX_TEXT, multiline=False)
    if iban is not None and (problem := iban_problem(iban)):
        f.add(INVALID_DATA, problem, "iban")
    if bic is not None and not BIC_RE.match(bic):
        f.add(INVALID_DATA, "bic must have 8 or 11 letters and digits, like DEUTDEFFXXX", "bic")
    if amount is not None:
        if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
            f.add(OUT_OF_RANGE, "amount must be from 0.01 to 999999999.99 euro", "amount")
        elif amount != amount.quantize(MIN_AMOUNT):
            f.add(OUT_OF_RANGE, "amount is in euro with at most 2 decimals", "amount")
    if reference is not None:
        if len(reference) > MAX_REFERENCE:
            f.add(OUT_OF_RANGE, f"reference is at most {MAX_REFERENCE} characters", "reference")
        elif reference.startswith("RF") and (
            not RF_RE.match(reference) or mod97(reference[4:] + reference[:4]) != 1
        ):
            f.add(INVALID_DATA, "reference: this RF creditor reference's check digits are "
                  "wrong", "reference")  # fmt: skip
        if text is not None:
            f.add(INVALID_DATA, "give either reference or text, not both (EPC069-12)", "text")
    f.raise_if_any()
    assert name is not None and iban is not None
    lines = [
        "BCD",
        "002",
        "1",  # character set 1: UTF-8
        "SCT",
        bic or "",
        name.strip(),
        iban,
        f"EUR{amount.quantize(MIN_AMOUNT)}" if amount is not None else "",
        "",  # purpose code: none
        reference or "",
        text or "",
    ]
    payload = "\n".join(lines).rstrip("\n")
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        f.add(INVALID_DATA, f"an EPC code holds at most {MAX_PAYLOAD_BYTES} bytes; shorten the "
              "name or the text")  # fmt: skip
        f.raise_if_any()
    return payload
