"""EPC (SEPA GiroCode) payloads: the exact EPC069-12 lines, and every bank-side check."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.errors import InvalidInput
from app.rendering.epc import iban_problem, mod97
from app.rendering.payloads import build_payload
from app.rendering.render import render
from app.rendering.style import Style

IBAN = "DE89370400440532013000"  # the Bundesbank's documented example


def problems(data: Any) -> list[tuple[str, tuple[str, ...]]]:
    with pytest.raises(InvalidInput) as caught:
        build_payload("EPC", data)
    return [(p.code, p.field) for p in caught.value.problems]


def test_epc_lines_in_the_girocode_order() -> None:
    payload = build_payload(
        "EPC",
        {
            "name": "Rotes Kreuz e.V.",
            "iban": "de89 3704 0044 0532 0130 00",
            "bic": "cobadeffxxx",
            "amount": "12.5",
            "text": "Spende Dezember",
        },
    )
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "COBADEFFXXX", "Rotes Kreuz e.V.", IBAN, "EUR12.50", "", "",
        "Spende Dezember",
    ]  # fmt: skip


def test_epc_minimal_has_no_trailing_empty_lines_and_a_structured_reference() -> None:
    assert build_payload("EPC", {"name": "A", "iban": IBAN}) == f"BCD\n002\n1\nSCT\n\nA\n{IBAN}"
    with_ref = build_payload("EPC", {"name": "A", "iban": IBAN, "reference": "RF18 5390 0754 7034"})
    assert with_ref.endswith(f"{IBAN}\n\n\nRF18539007547034")


def test_iban_check_digits_length_and_country() -> None:
    assert mod97(IBAN[4:] + IBAN[:4]) == 1
    assert iban_problem(IBAN) is None
    assert iban_problem("NL91ABNA0417164300") is None
    assert "check digits" in (iban_problem("DE88370400440532013000") or "")
    assert "22 characters" in (iban_problem("DE8937040044053201300") or "")
    assert "not a SEPA country" in (iban_problem("US89370400440532013000") or "")


def test_epc_problems_each_under_its_field() -> None:
    assert problems({}) == [("REQUIRED", ("data", "name")), ("REQUIRED", ("data", "iban"))]
    assert problems(
        {
            "name": "x" * 71,
            "iban": "DE88370400440532013000",
            "bic": "DEUT",
            "amount": "0.001",
            "reference": "RF19539007547034",
        }
    ) == [
        ("TOO_LONG", ("data", "name")),
        ("INVALID_DATA", ("data", "iban")),
        ("INVALID_DATA", ("data", "bic")),
        ("OUT_OF_RANGE", ("data", "amount")),
        ("INVALID_DATA", ("data", "reference")),
    ]
    assert problems({"name": "A", "iban": IBAN, "amount": "1000000000"}) == [
        ("OUT_OF_RANGE", ("data", "amount"))
    ]
    assert problems({"name": "A", "iban": IBAN, "reference": "RF18539007547034", "text": "t"}) == [
        ("INVALID_DATA", ("data", "text"))
    ]
    assert problems({"name": "A", "iban": IBAN, "currency": "EUR"}) == [
        ("UNKNOWN_FIELD", ("data", "currency"))
    ]


@pytest.mark.parametrize("fmt", ["PNG", "SVG"])
def test_epc_code_decodes_to_exactly_its_payload(fmt: str, qr: SimpleNamespace) -> None:
    text = build_payload(
        "EPC", {"name": "Bäckerei Müller", "iban": IBAN, "amount": 7.2, "text": "Rechnung 42"}
    )
    rendered = render(text, Style.from_dict({"module_shape": "ROUNDED"}), fmt)
    assert qr.decode(qr.to_image(rendered.data, fmt)) == [text]
