"""Switchable faults, written as short spec strings so the CLI and the control API share one syntax.

Request faults, `ENDPOINT:KIND[:COUNT]`, hit the next COUNT requests (default 1, or `always`) to
ENDPOINT (`submit`, `poll` or `cancel`):
- `500`, `503`, `429`: answer that error without doing anything;
- `drop`: close the connection without an answer, without doing anything;
- `500-after`, `drop-after` (submit and cancel only): do the work (the job exists, or is cancelled),
  then answer 500 or close the connection: the caller cannot know that it worked;
- `slow=SECONDS`: do the work, then wait SECONDS before answering (to trip client timeouts).

Job faults make jobs fail at the end of their running time, with error code CODE:
- `fail:CODE[:COUNT]`: the next COUNT accepted jobs (default 1);
- `fail-marker:CODE:MARKER`: every job whose prompt contains MARKER (which may hold colons).

Examples: `submit:500-after`, `poll:503:3`, `submit:slow=4`, `fail:content_policy:2`,
`fail-marker:content_policy:[blocked]`.
"""

from __future__ import annotations

from dataclasses import dataclass

ENDPOINTS = ("submit", "poll", "cancel")
_STATUS_KINDS = {"500": 500, "503": 503, "429": 429}
_AFTER_KINDS = {"500-after": "500", "drop-after": "drop"}

FAILURE_MESSAGES = {
    "content_policy": "The prompt was blocked by the provider's safety filter.",
    "provider_error": "The provider failed to generate the video.",
    "timeout": "The provider took too long to generate the video.",
    "render_failed": "The provider could not encode the video.",
}


class FaultSpecError(ValueError):
    pass


@dataclass
class RequestFault:
    spec: str
    endpoint: str
    kind: str  # "500", "503", "429", "drop" or "slow"
    after: bool  # the work is done first, then the fault hides the answer
    remaining: int | None  # None: every request
    seconds: float = 0.0

    @property
    def status(self) -> int:
        return _STATUS_KINDS[self.kind]


@dataclass
class JobFault:
    spec: str
    code: str
    remaining: int | None  # None: every job that matches the marker
    marker: str | None = None

    @property
    def message(self) -> str:
        return FAILURE_MESSAGES.get(self.code, f"The job failed ({self.code}).")


def parse_fault(spec: str) -> RequestFault | JobFault:
    head, _, rest = spec.partition(":")
    if head in ENDPOINTS:
        return _parse_request_fault(spec, head, rest)
    if head == "fail":
        code, _, count = rest.partition(":")
        return JobFault(spec=spec, code=_required(code, spec), remaining=_count(count, spec))
    if head == "fail-marker":
        code, _, marker = rest.partition(":")
        return JobFault(
            spec=spec, code=_required(code, spec), remaining=None, marker=_required(marker, spec)
        )
    raise FaultSpecError(f"unknown fault {spec!r}: it starts with submit, poll, cancel or fail")


def _parse_request_fault(spec: str, endpoint: str, rest: str) -> RequestFault:
    kind, _, count = rest.partition(":")
    remaining = _count(count, spec)
    if kind.startswith("slow="):
        return RequestFault(spec, endpoint, "slow", True, remaining, _seconds(kind[5:], spec))
    if kind in _AFTER_KINDS:
        if endpoint == "poll":
            raise FaultSpecError(f"{spec!r}: a poll changes nothing, so it has no -after fault")
        return RequestFault(spec, endpoint, _AFTER_KINDS[kind], True, remaining)
    if kind in _STATUS_KINDS or kind == "drop":
        return RequestFault(spec, endpoint, kind, False, remaining)
    raise FaultSpecError(
        f"unknown fault kind in {spec!r}: use 500, 503, 429, drop, 500-after, drop-after or slow=S"
    )


def _count(text: str, spec: str) -> int | None:
    if not text:
        return 1
    if text == "always":
        return None
    if not text.isdigit() or int(text) < 1:
        raise FaultSpecError(f"{spec!r}: the count must be a positive whole number or 'always'")
    return int(text)


def _seconds(text: str, spec: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise FaultSpecError(f"{spec!r}: slow= takes a number of seconds") from None
    if not 0 <= seconds < 3600:
        raise FaultSpecError(f"{spec!r}: slow= takes 0 to 3600 seconds")
    return seconds


def _required(text: str, spec: str) -> str:
    if not text:
        raise FaultSpecError(f"{spec!r} is incomplete")
    return text


class FaultBook:
    """The faults still pending; not thread-safe on its own (the gateway's lock guards it)."""

    def __init__(self, specs: tuple[str, ...] = ()) -> None:
        self._faults = [parse_fault(spec) for spec in specs]

    def pending(self) -> list[dict[str, object]]:
        return [{"spec": fault.spec, "remaining": fault.remaining} for fault in self._faults]

    def take_request_fault(self, endpoint: str) -> RequestFault | None:
        for fault in self._faults:
            if isinstance(fault, RequestFault) and fault.endpoint == endpoint:
                self._use(fault)
                return fault
        return None

    def take_job_fault(self, prompt: str) -> JobFault | None:
        """The fault that dooms a job with this prompt, if any; markers win over plain counts."""
        candidates = [fault for fault in self._faults if isinstance(fault, JobFault)]
        for fault in sorted(candidates, key=lambda fault: fault.marker is None):
            if fault.marker is None or fault.marker in prompt:
                self._use(fault)
                return fault
        return None

    def _use(self, fault: RequestFault | JobFault) -> None:
        if fault.remaining is None:
            return
        fault.remaining -= 1
        if fault.remaining == 0:
            self._faults.remove(fault)
