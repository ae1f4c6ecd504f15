"""What can go wrong when talking to the AI gateway: one class per row of the contract's errors.

Every error carries `message`, plain words that can be shown to a person, and `retryable`, which
says whether sending the same request again is safe and may succeed. `retryable` is a class default;
the client overrides it on an instance when the request decides it (losing the answer to a poll is
harmless, losing the answer to a submit is not).

Submits are special: a job whose submit outcome is unknown must never be blindly resent, because a
second job is a second charge. Every such case raises an `OutcomeUnknown` (never retryable):
- the transport broke after the request was sent (timeout, reset, connection dropped mid-answer);
- HTTP 500 raises `SubmitServerError`, which is both a `ServerError` and an `OutcomeUnknown`;
- any other 5xx except 503, or a success answer that cannot be read, raises `OutcomeUnknown` itself.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar


class GatewayError(Exception):
    retryable: bool = False
    default_message: ClassVar[str] = "The AI gateway answered with an error."
    default_retry_after: ClassVar[float | None] = None

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
        detail: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.error_type = error_type
        self.retry_after = retry_after if retry_after is not None else self.default_retry_after
        # What the gateway or the transport said, for operators; `message` is for people.
        self.detail = detail
        if retryable is not None:
            self.retryable = retryable
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.detail:
            return f"{self.message} ({self.detail})"
        return self.message


class InvalidRequest(GatewayError):
    default_message = "The gateway refused the request as invalid."


class AuthenticationError(GatewayError):
    default_message = "The gateway rejected the studio's API key: an operator must fix the key."


class InsufficientCredits(GatewayError):
    default_message = "The gateway wallet is empty: top up to generate more clips."


class NotFound(GatewayError):
    default_message = "The gateway does not know this model or job."


class RateLimited(GatewayError):
    retryable = True
    default_message = "The gateway is rate limiting the studio: wait a little, then try again."
    # A 429 without a usable Retry-After still means "wait": long enough not to hammer the gateway.
    default_retry_after = 5.0
    retry_after: float


class ServerError(GatewayError):
    retryable = True
    default_message = "The video provider failed upstream."


class ServiceUnavailable(GatewayError):
    retryable = True
    default_message = "The video provider is saturated: try again shortly."


class UnexpectedResponse(GatewayError):
    default_message = "The gateway sent an answer the studio does not understand."


class GatewayUnreachable(GatewayError):
    """The connection could not be established: the request never left, so resending is safe."""

    retryable = True
    default_message = "The gateway could not be reached."


class OutcomeUnknown(GatewayError):
    """The request may have been processed, but no answer came back."""

    default_message = (
        "The gateway did not answer in time or the connection broke: "
        "whether the request took effect is unknown."
    )


class SubmitServerError(ServerError, OutcomeUnknown):
    """HTTP 500 on a submit: the provider failed, perhaps after the job was created."""

    retryable = False
    default_message = (
        "The video provider failed while the job was being submitted: it may or may not exist."
    )


_ERROR_BY_STATUS: dict[int, type[GatewayError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    402: InsufficientCredits,
    404: NotFound,
    429: RateLimited,
    500: ServerError,
    503: ServiceUnavailable,
}


def error_class_for_status(status: int) -> type[GatewayError]:
    """The error for a non-success HTTP answer, outside of a submit's special cases."""
    return _ERROR_BY_STATUS.get(status, UnexpectedResponse)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, which is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
