"""Checking the gateway's webhook events: HMAC-SHA256 of `timestamp.raw_body`, keyed with the
signing secret, and nothing older (or further in the future) than five minutes."""

import hashlib
import hmac
import json
import math
from typing import Any

TOLERANCE_SECONDS = 300
MAX_ID_LENGTH = 100  # event and job ids: the studio's columns hold this many characters
MAX_TYPE_LENGTH = 40


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
    if not math.isfinite(age):  # "nan" compares false with everything: it was never stale
        raise InvalidWebhook("bad timestamp")
    if abs(age) > TOLERANCE_SECONDS:
        raise InvalidWebhook("stale event")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidWebhook("body is not JSON") from None
    if (
        not isinstance(event, dict)
        or not _is_text(event.get("id"), MAX_ID_LENGTH)
        or not _is_text(event.get("type", "-"), MAX_TYPE_LENGTH)
        or not isinstance(event.get("data"), dict)
        or not _is_text(event["data"].get("job_id"), MAX_ID_LENGTH)
    ):
        raise InvalidWebhook("not a gateway event")
    return event


def _is_text(value: object, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length
