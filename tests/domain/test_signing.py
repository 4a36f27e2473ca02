from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.domain.webhooks.schedule import RETRY_SCHEDULE, next_delay, retry_after_seconds
from app.domain.webhooks.signing import envelope, new_secret, secret_key, sign, signed_headers

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


class FixedRandom:
    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


def a_delivery() -> tuple[str, str, int, bytes]:
    secret = new_secret()
    timestamp = int(datetime.now(UTC).timestamp())  # the verifier checks against its clock
    body = envelope("scan.created", {"linkId": "TGluazox", "country": "DE"}, NOW)
    return secret, "msg_2Kx9", timestamp, body


def test_new_secrets_are_whsec_base64_of_enough_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    assert new_secret() != secret


def test_standard_webhooks_verifies_what_we_sign() -> None:
    secret, msg_id, timestamp, body = a_delivery()
    headers = signed_headers(secret, msg_id, timestamp, body)
    assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_a_tampered_body_fails_verification() -> None:
    secret, msg_id, timestamp, body = a_delivery()
    headers = signed_headers(secret, msg_id, timestamp, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"DE", b"FR"), headers)


def test_another_secret_or_id_fails_verification() -> None:
    secret, msg_id, timestamp, body = a_delivery()
    headers = signed_headers(secret, msg_id, timestamp, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_other"})


def test_signature_matches_the_spec_example() -> None:
    # The worked example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_headers_carry_id_timestamp_signature_and_content_type() -> None:
    secret, msg_id, timestamp, body = a_delivery()
    headers = signed_headers(secret, msg_id, timestamp, body)
    assert headers == {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def test_malformed_secrets_are_refused() -> None:
    with pytest.raises(ValueError):
        secret_key("whsec_not base64!")
    with pytest.raises(ValueError):
        secret_key("whsec_")


def test_envelope_is_compact_stable_json() -> None:
    at = datetime(2030, 6, 1, 14, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
    body = envelope("scan.created", {"b": 1, "a": {"z": None, "y": "ü"}, "at": NOW}, at)
    assert (
        body
        == (
            '{"type":"scan.created","timestamp":"2030-06-01T12:00:00.123000Z",'
            '"data":{"a":{"y":"ü","z":null},"at":"2030-06-01T12:00:00Z","b":1}}'
        ).encode()
    )
    assert envelope("scan.created", {"a": {"y": "ü", "z": None}, "b": 1, "at": NOW}, at) == body


def test_envelope_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        envelope("scan.created", {}, datetime(2030, 6, 1))


def test_retry_schedule_without_jitter() -> None:
    middle = FixedRandom(0.5)
    delays = [next_delay(attempt, middle) for attempt in range(10)]
    assert delays == pytest.approx([0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400])
    assert next_delay(10, middle) is None
    assert next_delay(99, middle) is None


def test_retry_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(7)
    for attempt, base in enumerate(RETRY_SCHEDULE):
        for _ in range(50):
            delay = next_delay(attempt, rng)
            assert delay is not None
            assert base * 0.9 <= delay <= base * 1.1
    assert next_delay(1, FixedRandom(0.0)) == pytest.approx(4.5)
    assert next_delay(1, FixedRandom(1.0)) == pytest.approx(5.5)


def test_negative_attempts_are_a_bug() -> None:
    with pytest.raises(ValueError):
        next_delay(-1, random.Random())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Sat, 01 Jun 2030 12:02:00 GMT", 120.0),
        ("Saturday, 01-Jun-30 12:00:30 GMT", 30.0),
        ("Sat Jun  1 12:01:00 2030", 60.0),
        ("Sat, 01 Jun 2030 11:00:00 GMT", 0.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("Sat, 99 Foo 2030 12:02:00 GMT", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(
    header: str | None, expected: float | None
) -> None:
    assert retry_after_seconds(header, NOW) == expected
