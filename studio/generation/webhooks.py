"""Checking the gateway's webhook events: HMAC-SHA256 of `timestamp.raw_body`, keyed with the
signing secret, and nothing older (or further in the future) than five minutes."""

import hashlib
import hmac
import json
from typing import Any

TOLERANCE_SECONDS = 300


class InvalidWebhook(Exception):
    """The event is refused; the message says why, for the gateway's delivery log."""


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_event(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> dict[str, Any]:
    if not timestamp or not signature:
        raise InvalidWebhook("missing aig-timestamp or aig-signature")
    if not hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature):
        raise InvalidWebhook("bad signature")
    try:
        age = now - float(timestamp)
    except ValueError:
        raise InvalidWebhook("bad timestamp") from None
    if abs(age) > TOLERANCE_SECONDS:
        raise InvalidWebhook("stale event")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidWebhook("body is not JSON") from None
    if (
        not isinstance(event, dict)
        or not event.get("id")
        or not isinstance(event.get("data"), dict)
    ):
        raise InvalidWebhook("not a gateway event")
    return event
