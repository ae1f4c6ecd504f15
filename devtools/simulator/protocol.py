"""The gateway API's terms, apart from any state: a call as the server hands it over, the reply
and the refusal that answer it, and a submit's body checked against the model's limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The model page's examples omit duration and aspect ratio; Veo's own defaults.
DEFAULT_DURATION = 8
DEFAULT_ASPECT_RATIO = "16:9"


@dataclass(frozen=True)
class VideoModel:
    price_cents_per_second: int
    max_duration: int
    aspect_ratios: tuple[str, ...]


MODELS = {"google/veo-3.1": VideoModel(40, 60, ("16:9", "9:16"))}


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


def error_reply(
    status: int, error_type: str, message: str, headers: Mapping[str, str] | None = None
) -> Reply:
    return Reply(status, {"error": {"type": error_type, "message": message}}, headers or {})


class Refused(Exception):
    """Stops handling a request with this error answer."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


@dataclass(frozen=True)
class ApiCall:
    endpoint: str  # "submit", "poll" or "cancel"
    authorization: str | None
    origin: str  # scheme://host:port the caller reached us at, for media URLs
    job_id: str = ""
    body: object = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Order:
    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    webhook_url: str | None
    cost_cents: int


def parse_order(body: object) -> Order:
    """A submit's body checked against the model's limits; raises Refused with a clear reason."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    model_name = body.get("model")
    if not isinstance(model_name, str) or not model_name:
        raise _invalid("model is required.")
    model = MODELS.get(model_name)
    if model is None:
        raise Refused(error_reply(404, "not_found", f"Unknown model {model_name!r}."))
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _invalid("prompt must be a non-empty string.")
    duration = body.get("duration", DEFAULT_DURATION)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not (1 <= duration <= model.max_duration)
    ):
        raise _invalid(
            f"{model_name} makes clips of 1 to {model.max_duration} whole seconds, "
            f"not {duration!r}."
        )
    aspect_ratio = body.get("aspect_ratio", DEFAULT_ASPECT_RATIO)
    if aspect_ratio not in model.aspect_ratios:
        raise _invalid(
            f"{model_name} supports aspect ratios {' and '.join(model.aspect_ratios)}, "
            f"not {aspect_ratio!r}."
        )
    webhook_url = body.get("webhook_url")
    if webhook_url is not None and (
        not isinstance(webhook_url, str) or not webhook_url.startswith(("http://", "https://"))
    ):
        raise _invalid("webhook_url must be an http or https URL.")
    return Order(
        model=model_name,
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        webhook_url=webhook_url,
        cost_cents=model.price_cents_per_second * duration,
    )


def _invalid(message: str) -> Refused:
    return Refused(error_reply(400, "invalid_request_error", message))
