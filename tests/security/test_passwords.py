from __future__ import annotations

from typing import Any

import pytest

from app.security.passwords import hash_password, needs_rehash, verify_password


def test_round_trip() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple") is True


def test_wrong_password_is_false() -> None:
    stored = hash_password("s3cret")
    assert verify_password(stored, "S3cret") is False
    assert verify_password(stored, "") is False


def test_same_password_hashes_differently() -> None:
    assert hash_password("s3cret") != hash_password("s3cret")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=65536,t=3,p=4$garbage",
        "$2b$12$abcdefghijklmnopqrstuv",
        None,
    ],
)
def test_garbage_hash_is_false(garbage: Any) -> None:
    assert verify_password(garbage, "s3cret") is False


def test_fresh_hashes_need_no_rehash_and_garbage_does() -> None:
    assert needs_rehash(hash_password("s3cret")) is False
    assert needs_rehash("not a hash") is True
