"""A small, precise HTTP client for the AI gateway's async video jobs.

It never retries: the Celery tasks own retries and need to see exactly what happened, so every
answer becomes either a JobRecord or one typed error from studio.gateway.errors.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from studio.gateway.errors import (
    GatewayError,
    GatewayUnreachable,
    OutcomeUnknown,
    SubmitServerError,
    UnexpectedResponse,
    error_class_for_status,
    parse_retry_after,
)
from studio.gateway.records import JobRecord, parse_job_record

# Failures before the request could leave: resending is safe.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# Failures after the request may have arrived: the gateway may have acted on it.
_LOST_ANSWER_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class GatewayClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"GatewayClient({self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def submit(
        self,
        *,
        model: str,
        prompt: str,
        duration: int,
        aspect_ratio: str,
        idempotency_key: str,
        webhook_url: str | None = None,
    ) -> JobRecord:
        """Create a job. Raises an OutcomeUnknown subclass whenever the job may exist anyway."""
        body: dict[str, Any] = {
            "model": model,
            "prompt": prompt,
            "duration": duration,
            "aspect_ratio": aspect_ratio,
        }
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        response = self._send(
            "POST",
            "/v1/videos/generations",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
            repeatable=False,
        )
        if response.is_success:
            try:
                return _record_from(response)
            except UnexpectedResponse as exc:
                # The gateway said yes, so a job exists; we just cannot tell which one.
                raise OutcomeUnknown(status=response.status_code, detail=exc.detail) from exc
        raise _error_from(response, error_class=_submit_error_class(response.status_code))

    def get_job(self, job_id: str) -> JobRecord | None:
        """The job's record, or None when the gateway answers 304 to a poll within 3 s."""
        response = self._send("GET", f"/v1/jobs/{quote(job_id, safe='')}", repeatable=True)
        if response.status_code == 304:
            return None
        if response.is_success:
            return _record_from(response)
        raise _error_from(response)

    def cancel(self, job_id: str) -> JobRecord:
        # Cancelling twice ends the same way as cancelling once, so a lost answer may be resent.
        path = f"/v1/jobs/{quote(job_id, safe='')}/cancel"
        response = self._send("POST", path, repeatable=True)
        if response.is_success:
            return _record_from(response)
        raise _error_from(response)

    def _send(
        self,
        method: str,
        path: str,
        *,
        repeatable: bool,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return self._http.request(method, path, json=json, headers=headers)
        except _NOT_SENT_ERRORS as exc:
            raise GatewayUnreachable(detail=_describe(exc)) from exc
        except _LOST_ANSWER_ERRORS as exc:
            raise OutcomeUnknown(detail=_describe(exc), retryable=repeatable) from exc


def _submit_error_class(status: int) -> type[GatewayError] | None:
    """Submit answers that leave the job's existence unknown; None for the usual mapping."""
    if status == 500:
        return SubmitServerError
    # 503 means "not processed"; a proxy's 502 or 504 says nothing about the job.
    if status > 500 and status != 503:
        return OutcomeUnknown
    return None


def _record_from(response: httpx.Response) -> JobRecord:
    try:
        data = response.json()
    except ValueError:
        raise UnexpectedResponse(
            status=response.status_code, detail="the answer is not JSON"
        ) from None
    return parse_job_record(data)


def _error_from(
    response: httpx.Response, *, error_class: type[GatewayError] | None = None
) -> GatewayError:
    error_type, detail = _error_body(response)
    error_class = error_class or error_class_for_status(response.status_code)
    return error_class(
        status=response.status_code,
        error_type=error_type,
        detail=detail,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """The error's type and message from `{"error": {"type", "message"}}`, when the body has one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None, _snippet(response)
    if not isinstance(error, dict):
        return None, _snippet(response)
    error_type, message = error.get("type"), error.get("message")
    return (
        error_type if isinstance(error_type, str) else None,
        message if isinstance(message, str) else _snippet(response),
    )


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip()
    return f"HTTP {response.status_code}: {text[:200]}" if text else f"HTTP {response.status_code}"


def _describe(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
