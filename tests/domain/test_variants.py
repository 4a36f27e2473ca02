"""A/B variants (issue 13): weights hold over many visitors, and a visitor keeps theirs."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from app.domain.links.variants import compile_variants, pick, validate_variants
from app.domain.scans.enrich import daily_salt
from app.errors import InvalidInput

VARIANTS = compile_variants(
    [
        {"destination": "https://example.com/a", "weight": 70},
        {"destination": "https://example.com/b", "weight": 20},
        {"destination": "https://example.com/c", "weight": 10},
    ]
)
SALT = daily_salt(b"secret", date(2026, 12, 1))


def visitor(n: int) -> tuple[str, str]:
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", f"Mozilla/5.0 visitor {n % 7}"


def test_issue13_weights_hold_within_two_points_over_10000_visitors() -> None:
    assert VARIANTS is not None
    picks = Counter(pick(VARIANTS, SALT, 42, *visitor(n)) for n in range(10_000))
    shares = [picks[i] / 10_000 for i in range(3)]
    for share, expected in zip(shares, (0.70, 0.20, 0.10), strict=True):
        assert abs(share - expected) < 0.02, shares


def test_issue13_a_visitor_keeps_their_variant_for_the_day() -> None:
    assert VARIANTS is not None
    for n in range(1_000):
        first = pick(VARIANTS, SALT, 42, *visitor(n))
        assert all(pick(VARIANTS, SALT, 42, *visitor(n)) == first for _ in range(3))
    # Another link splits its visitors independently of this one.
    same = sum(
        pick(VARIANTS, SALT, 42, *visitor(n)) == pick(VARIANTS, SALT, 43, *visitor(n))
        for n in range(1_000)
    )
    assert same < 700  # by chance alone about 54 % agree (0.7² + 0.2² + 0.1²)


@pytest.mark.parametrize(
    "variants",
    [
        [{"destination": "https://example.com/a", "weight": 1}],  # one is no split
        [{"destination": "https://example.com/a", "weight": 0},
         {"destination": "https://example.com/b", "weight": 1}],
        [{"destination": "javascript:alert(1)", "weight": 1},
         {"destination": "https://example.com/b", "weight": 1}],
        [{"destination": f"https://example.com/{n}", "weight": 1} for n in range(11)],
    ],
)  # fmt: skip
def test_bad_variants_are_refused(variants: list[dict]) -> None:
    with pytest.raises(InvalidInput):
        validate_variants(variants)


def test_no_variants_is_an_empty_list() -> None:
    assert validate_variants(None) == [] and validate_variants([]) == []
    assert compile_variants([]) is None
