"""Webhook events for finished jobs, signed like the gateway signs them (see the contract)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The gateway retries for 24 h; a simulator only needs to show that a retry happens.
RETRY_PAUSES = (1.0, 2.0)
_TIMEOUT = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + raw_body`, keyed with the signing secret."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def job_event(
    *, completed: bool, job_id: str, model: str, result_url: str | None, cost_cents: int
) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "type": "job.completed" if completed else "job.failed",
        "created": int(time.time()),
        "data": {
            "job_id": job_id,
            "model": model,
            "result_url": result_url,
            "usage": {"cost_cents": cost_cents},
        },
    }


class WebhookSender:
    """Delivers events in background threads and remembers each delivery for /_sim/state."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="simulator-webhook")
        self._lock = threading.Lock()
        self._deliveries: list[dict[str, Any]] = []
        self._closed = threading.Event()

    def send(self, url: str, event: dict[str, Any], secret: str) -> None:
        delivery = {
            "event_id": event["id"],
            "type": event["type"],
            "job_id": event["data"]["job_id"],
            "url": url,
            "attempts": 0,
            "delivered": False,
            "last_status": None,
        }
        with self._lock:
            self._deliveries.append(delivery)
        self._pool.submit(self._deliver, url, json.dumps(event).encode(), secret, delivery)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(delivery) for delivery in self._deliveries]

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def close(self) -> None:
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, url: str, body: bytes, secret: str, delivery: dict[str, Any]) -> None:
        for pause in (0.0, *RETRY_PAUSES):
            if self._closed.wait(pause):
                return
            status = _post(url, body, secret)
            with self._lock:
                delivery["attempts"] += 1
                delivery["last_status"] = status
                delivery["delivered"] = status is not None and 200 <= status < 300
                if delivery["delivered"]:
                    return


def _post(url: str, body: bytes, secret: str) -> int | None:
    """The receiver's HTTP status, or None when it could not be reached."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 -- the studio under test chose this URL
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "aig-timestamp": timestamp,
            "aig-signature": signature(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None
