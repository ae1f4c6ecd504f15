"""Storing a finished take: its video copied into the studio's storage (media.py downloads and
checks it), then the take completed, or failed with the reason, or polled again for a fresh
URL. Called by the poll batch and the cancel step (steps.py) and by webhook events."""

from datetime import datetime
from decimal import Decimal

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from studio.gateway import JobRecord

from . import media
from .models import Take, TakeStatus
from .transitions import NextStep, fail, poll_floor, reschedule, transition


def take_store_result(
    *, take: Take, record: JobRecord, from_statuses, lease: datetime | None = None
) -> NextStep | None:
    """Copy the finished video into our storage (the gateway's URL expires) with a poster.
    With `lease`, the take completes only while it still holds that lease: a store that
    outlasted it (the step may be another worker's by now) writes nothing and keeps no file."""
    # The gateway completed the job, so it has billed it, whatever becomes of the file.
    billed = (
        (Decimal(record.cost_cents) / 100).quantize(Decimal("0.01"))
        if record.cost_cents is not None
        else take.estimated_cost
    )
    try:
        stored = media.store_take_media(take=take, url=record.video_url or "")
    except media.ResultExpired:
        # The signed URL ran out: the next poll fetches the job record with a fresh one.
        return reschedule(take, "poll", poll_floor(), from_statuses)
    except media.ResultRejected as error:
        fail(
            take,
            code="bad_result",
            message=str(error),
            from_statuses=from_statuses,
            billed_cost=billed,
        )
        return None
    completed = transition(
        take,
        from_statuses=from_statuses,
        # Not past the lease either: a take due again may be handed out at any moment.
        only_if=None if lease is None else Q(next_check_at=lease, next_check_at__gt=timezone.now()),
        status=TakeStatus.COMPLETED,
        gateway_job_id=record.id,
        video=stored.video_name,
        poster=stored.poster_name,
        resolution=stored.resolution,
        video_duration=stored.duration,
        result_url=record.video_url or "",
        billed_cost=billed,
        gateway_done_at=take.gateway_done_at or timezone.now(),
        done_seen_at=take.done_seen_at,
        done_seen_by_webhook=take.done_seen_by_webhook,
        finished_at=timezone.now(),
        next_check_at=None,
        error_code="",
        error_message="",
    )
    if not completed and lease is not None:
        default_storage.delete(stored.video_name)
        default_storage.delete(stored.poster_name)
    return None
