"""A/B destinations: a link splits its traffic between weighted destinations.

A visitor keeps the variant they got for the day: the pick is a hash of the day's salt,
the link and the visitor (IP and user agent, as the daily visitor hash of analytics), so
it needs no storage and every API process picks the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from app.errors import InvalidInput, Problem
from app.security.urls import url_problem

MAX_VARIANTS = 10
MAX_WEIGHT = 10_000

Variants = tuple[tuple[str, int], ...]  # (destination, weight), weights > 0


def validate_variants(raw: Sequence[Any] | None) -> list[dict[str, Any]]:
    """The stored form of the variants given: [] (none) or 2 to MAX_VARIANTS of them."""
    given = list(raw or [])
    if not given:
        return []
    problems: list[Problem] = []
    if len(given) < 2 or len(given) > MAX_VARIANTS:
        problems.append(
            Problem(
                "INVALID_VARIANTS",
                f"A link has no variants or 2 to {MAX_VARIANTS} of them.",
                ("variants",),
            )
        )
    stored = []
    for index, variant in enumerate(given):
        destination = variant.get("destination") if isinstance(variant, dict) else None
        weight = variant.get("weight") if isinstance(variant, dict) else None
        if message := url_problem(destination):
            problems.append(
                Problem("INVALID_URL", message, ("variants", str(index), "destination"))
            )
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
            problems.append(
                Problem(
                    "INVALID_WEIGHT",
                    f"A weight is a whole number from 1 to {MAX_WEIGHT}.",
                    ("variants", str(index), "weight"),
                )
            )
        stored.append({"destination": destination, "weight": weight})
    if problems:
        raise InvalidInput(problems)
    return stored


def compile_variants(stored: Sequence[dict[str, Any]] | None) -> Variants | None:
    if not stored:
        return None
    return tuple((str(v["destination"]), int(v["weight"])) for v in stored)


def pick(
    variants: Variants, salt: bytes, link_id: int, ip: str | None, user_agent: str | None
) -> int:
    """The index of the visitor's variant: the same all day for the same visitor and link."""
    material = b"\0".join(
        (str(link_id).encode(), (ip or "").encode(), (user_agent or "").encode("utf-8", "replace"))
    )
    digest = hashlib.blake2b(material, key=salt[:64], digest_size=8).digest()
    total = sum(weight for _, weight in variants)
    point = int.from_bytes(digest, "big") % total
    for index, (_, weight) in enumerate(variants):
        if point < weight:
            return index
        point -= weight
    return len(variants) - 1  # pragma: no cover - the weights add up to total
