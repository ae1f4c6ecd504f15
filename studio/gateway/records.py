"""The gateway's job record, read from either of the two shapes seen in the wild.

The model page says `status: processing` and `result.url`; the docs say `status: running` and
`result.file_url`. Both are accepted and normalised here so nothing else has to care.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from studio.gateway.errors import UnexpectedResponse


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


_STATUS_ALIASES = {"processing": JobStatus.RUNNING}


@dataclass(frozen=True)
class JobRecord:
    id: str
    status: JobStatus
    model: str | None
    created: int | None
    video_url: str | None
    video_duration: Decimal | None
    resolution: str | None
    error_code: str | None
    error_message: str | None
    cost_cents: int | None
    raw: dict[str, Any]


def parse_job_record(data: object) -> JobRecord:
    """Read a job record from decoded JSON; raise UnexpectedResponse for anything else."""
    if not isinstance(data, dict):
        raise _garbage("the job record is not a JSON object")
    job_id = data.get("id")
    if not isinstance(job_id, str) or not job_id:
        raise _garbage("the job record has no id")
    result = _optional_dict(data, "result")
    error = data.get("error")
    return JobRecord(
        id=job_id,
        status=_parse_status(data.get("status")),
        model=_optional_str(data, "model"),
        created=_optional_int(data, "created"),
        video_url=_optional_str(result, "url") or _optional_str(result, "file_url"),
        video_duration=_optional_decimal(result, "duration"),
        resolution=_optional_str(result, "resolution"),
        error_code=_error_field(error, "code") or _error_field(error, "type"),
        error_message=_error_field(error, "message"),
        cost_cents=_cost_cents(data, result),
        raw=data,
    )


def _parse_status(value: object) -> JobStatus:
    if isinstance(value, str):
        if value in _STATUS_ALIASES:
            return _STATUS_ALIASES[value]
        if value in JobStatus:
            return JobStatus(value)
    raise _garbage(f"the job record has an unknown status {value!r}")


def _cost_cents(data: dict[str, Any], result: dict[str, Any]) -> int | None:
    # Only webhook events document usage.cost_cents; records may carry it at the top or in result.
    for holder in (data, result):
        cost = _optional_int(_optional_dict(holder, "usage"), "cost_cents")
        if cost is not None:
            return cost
    return None


def _error_field(error: object, name: str) -> str | None:
    if isinstance(error, str):
        return error if name == "message" else None
    if isinstance(error, dict):
        return _optional_str(error, name)
    return None


def _optional_dict(holder: dict[str, Any], name: str) -> dict[str, Any]:
    value = holder.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _garbage(f"the job record's {name} is not an object")
    return value


def _optional_str(holder: dict[str, Any], name: str) -> str | None:
    value = holder.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _garbage(f"the job record's {name} is not a string")
    return value


def _optional_int(holder: dict[str, Any], name: str) -> int | None:
    value = holder.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _garbage(f"the job record's {name} is not a whole number")


def _optional_decimal(holder: dict[str, Any], name: str) -> Decimal | None:
    value = holder.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _garbage(f"the job record's {name} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _garbage(f"the job record's {name} is not a number") from None
    if not number.is_finite():
        raise _garbage(f"the job record's {name} is not a number")
    return number


def _garbage(reason: str) -> UnexpectedResponse:
    return UnexpectedResponse(detail=reason)
