"""Webhook signatures against the Standard Webhooks specification's published example, the
retry policy's backoff, and the feed's cursors."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from komunalka.adapters.webhooks import sign
from komunalka.application.suppliers.deliver_webhooks import WebhookPolicy
from komunalka.application.suppliers.feed_cursor import decode_cursor, encode_cursor
from komunalka.application.suppliers.manage_webhook import new_secret
from komunalka.domain.errors import DomainError
from tests.servers.fake_webhooks import verify


def test_the_signature_is_the_specifications_example() -> None:
    # github.com/standard-webhooks/standard-webhooks, the libraries' shared test vector
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_fake_receiver_checks_what_the_sender_signs_and_nothing_else() -> None:
    import time

    secret, stamp = new_secret(), int(time.time())
    body = b'{"type": "readings.changes"}'
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp)}
    good = headers | {"webhook-signature": "v1,xxx " + sign(secret, "msg_1", stamp, body)}
    assert verify(secret, good, body)
    assert not verify(secret, good, body + b" ")
    assert not verify(new_secret(), good, body)
    old = headers | {"webhook-timestamp": str(stamp - 600)}
    assert not verify(
        secret, old | {"webhook-signature": sign(secret, "msg_1", stamp - 600, body)}, body
    )


def test_a_new_secret_is_32_random_bytes_in_the_standard_form() -> None:
    import base64

    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != new_secret()


def test_retries_back_off_exponentially_with_jitter_up_to_an_hour() -> None:
    policy = WebhookPolicy(first_delay=timedelta(seconds=10), max_delay=timedelta(hours=1))
    rng = random.Random(7)
    for attempts, full in [(1, 10), (2, 20), (3, 40), (10, 3600), (40, 3600)]:
        delays = {policy.delay(attempts, rng).total_seconds() for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jitter: not all the same


def test_a_cursor_is_its_suppliers_and_nothing_else_decodes() -> None:
    cursor = encode_cursor(3, 1234)
    assert decode_cursor(cursor, 3) == 1234
    assert "=" not in cursor and "." not in cursor
    for bad, supplier in [(cursor, 4), ("", 3), ("@@", 3), (encode_cursor(3, 0) + "=", 3)]:
        with pytest.raises(DomainError, match=r"feed\.bad_cursor"):
            decode_cursor(bad, supplier)
