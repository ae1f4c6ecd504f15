"""The life of a take: create, submit, poll, store. Views, tasks and tests all go through here.

The database is the source of truth. Every step first claims its clip with a conditional UPDATE
and checks the row count, so a task delivered twice (late acknowledgement, the beat sweep) does
the work once.
"""

import logging
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.gateway import GatewayClient, JobRecord, JobStatus
from studio.gateway import errors as gw
from studio.projects.models import Project, Shot
from studio.teams.models import Action
from studio.teams.services import require_action

from . import media
from .models import AT_GATEWAY_STATUSES, Clip, ClipStatus

log = logging.getLogger(__name__)

MIN_POLL_INTERVAL = timedelta(seconds=3)  # the gateway answers 304 to faster polls
MAX_POLL_INTERVAL = timedelta(seconds=20)
CLAIM_LEASE = timedelta(seconds=120)  # how long a claimed take is left alone by the sweep
SWEEP_GRACE = timedelta(seconds=20)  # a scheduled check this late means its message was lost
SUBMIT_RETRY_BASE = 5  # seconds; doubles per attempt


class BudgetExceeded(ValidationError):
    pass


@dataclass(frozen=True)
class NextStep:
    """What the worker should do next for a take, and when."""

    action: Literal["submit", "poll"]
    after: timedelta


def gateway_client() -> GatewayClient:
    return GatewayClient(
        settings.AIGATEWAY_BASE_URL, settings.AIGATEWAY_API_KEY, timeout=settings.AIGATEWAY_TIMEOUT
    )


def project_committed_cost(project: Project) -> Decimal:
    """What takes have spent or hold reserved: failed and cancelled takes cost nothing."""
    total = (
        Clip.objects.filter(shot__storyboard__project=project)
        .exclude(status__in=[ClipStatus.FAILED, ClipStatus.CANCELLED])
        .aggregate(total=Sum(Coalesce("billed_cost", "estimated_cost")))["total"]
    )
    return total or Decimal("0.00")


def clip_create(*, user, shot: Shot) -> Clip:
    """A new take of the shot, reserved against the project's budget and queued for submit."""
    from .tasks import submit_clip

    project = shot.storyboard.project
    require_action(user=user, team=project.team, action=Action.GENERATE)
    model = shot.video_model
    model.validate_request(duration=shot.duration, aspect_ratio=shot.aspect_ratio)
    cost = model.cost_for(shot.duration)
    with transaction.atomic():
        # Lock the project row so concurrent clicks cannot overspend the budget together.
        # (On SQLite the IMMEDIATE transaction already serialises writers.)
        Project.objects.select_for_update().filter(pk=project.pk).first()
        left = project.budget - project_committed_cost(project)
        if cost > left:
            raise BudgetExceeded(
                f"This take costs ${cost}; the project has ${max(left, Decimal('0')):.2f} "
                f"left of its ${project.budget} budget."
            )
        last = shot.takes.aggregate(last=Max("take_number"))["last"] or 0
        clip = Clip.objects.create(
            shot=shot,
            take_number=last + 1,
            video_model=model,
            prompt=shot.prompt,
            duration=shot.duration,
            aspect_ratio=shot.aspect_ratio,
            estimated_cost=cost,
            created_by=user,
            next_check_at=timezone.now(),
        )
        transaction.on_commit(lambda: submit_clip.delay(clip.pk))
    return clip


def expected_render_seconds(clip: Clip) -> float:
    """How long takes like this one have been taking: the median of recent finished ones."""
    recent = (
        Clip.objects.filter(
            video_model=clip.video_model,
            duration=clip.duration,
            status=ClipStatus.COMPLETED,
            submitted_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("submitted_at", "finished_at")[:20]
    )
    spans = [(done - sent).total_seconds() for sent, done in recent]
    return statistics.median(spans) if spans else float(clip.video_model.typical_render_seconds)


def next_poll_delay(clip: Clip, now: datetime) -> timedelta:
    """Often at first, then less and less: a quarter of the time the job has run so far,
    between the gateway's 3 s floor and a cap that keeps completion noticed quickly."""
    if clip.submitted_at is None:
        return MIN_POLL_INTERVAL
    return min(max((now - clip.submitted_at) / 4, MIN_POLL_INTERVAL), MAX_POLL_INTERVAL)


def _claim(clip_id: int, **conditions) -> Clip | None:
    now = timezone.now()
    claimed = Clip.objects.filter(pk=clip_id, **conditions).update(
        next_check_at=now + CLAIM_LEASE, updated_at=now
    )
    if not claimed:
        return None
    return Clip.objects.select_related("video_model").get(pk=clip_id)


def _save(clip: Clip, **fields) -> None:
    for name, value in fields.items():
        setattr(clip, name, value)
    clip.save(update_fields=[*fields, "updated_at"])


def _fail(clip: Clip, *, code: str, message: str) -> None:
    _save(
        clip,
        status=ClipStatus.FAILED,
        error_code=code,
        error_message=message,
        finished_at=timezone.now(),
        next_check_at=None,
    )


def clip_submit(*, clip_id: int, attempt: int = 0) -> NextStep | None:
    """Send a pending take to the gateway once; say what to do next, if anything."""
    now = timezone.now()
    claimed = Clip.objects.filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
        pk=clip_id,
        status=ClipStatus.PENDING,
    ).update(status=ClipStatus.SUBMITTING, next_check_at=now + CLAIM_LEASE, updated_at=now)
    if not claimed:
        return None
    clip = Clip.objects.select_related("video_model").get(pk=clip_id)
    try:
        with gateway_client() as client:
            record = client.submit(
                model=clip.video_model.slug,
                prompt=clip.prompt,
                duration=clip.duration,
                aspect_ratio=clip.aspect_ratio,
                idempotency_key=str(clip.idempotency_key),
            )
    except (gw.RateLimited, gw.ServiceUnavailable, gw.GatewayUnreachable) as error:
        # Not processed by the gateway: safe to send again, later.
        delay = timedelta(seconds=error.retry_after or SUBMIT_RETRY_BASE * 2 ** min(attempt, 6))
        _save(clip, status=ClipStatus.PENDING, next_check_at=now + delay)
        return NextStep("submit", delay)
    except (gw.OutcomeUnknown, gw.ServerError) as error:
        # The job may exist, and a second one would be a second charge: never resend blindly.
        _save(
            clip,
            status=ClipStatus.UNCONFIRMED,
            error_code="outcome_unknown",
            error_message=(
                "The gateway may or may not have accepted this take "
                f"({error.message}). Check again later, or retry knowing it may be charged twice."
            ),
            next_check_at=None,
        )
        return None
    except gw.GatewayError as error:
        _fail(clip, code=error.error_type or "gateway_error", message=error.message)
        return None
    return _accept(clip, record, now)


def _accept(clip: Clip, record: JobRecord, now: datetime) -> NextStep:
    clip.submitted_at = now
    clip.expected_ready_at = now + timedelta(seconds=expected_render_seconds(clip))
    delay = next_poll_delay(clip, now)
    _save(
        clip,
        gateway_job_id=record.id,
        status=ClipStatus.RUNNING if record.status == JobStatus.RUNNING else ClipStatus.QUEUED,
        submitted_at=now,
        expected_ready_at=clip.expected_ready_at,
        next_check_at=now + delay,
    )
    return NextStep("poll", delay)


def clip_poll(*, clip_id: int) -> NextStep | None:
    """Ask the gateway about a take once; returns when to ask again, or None when done."""
    now = timezone.now()
    clip = _claim(clip_id, status__in=AT_GATEWAY_STATUSES, next_check_at__lte=now)
    if clip is None:
        return None
    try:
        with gateway_client() as client:
            record = client.get_job(clip.gateway_job_id)
    except gw.NotFound:
        _fail(clip, code="not_found", message="The gateway no longer knows this job.")
        return None
    except gw.GatewayError as error:
        # Polls are always safe to repeat; wait as long as the gateway asks, or back off.
        return _schedule(
            clip, max(timedelta(seconds=error.retry_after or 0), 2 * MIN_POLL_INTERVAL)
        )
    if record is None:  # 304: polled too early, nothing new
        return _schedule(clip, MIN_POLL_INTERVAL)
    return _apply_record(clip, record)


def _schedule(clip: Clip, delay: timedelta) -> NextStep:
    _save(clip, next_check_at=timezone.now() + delay)
    return NextStep("poll", delay)


def _apply_record(clip: Clip, record: JobRecord) -> NextStep | None:
    if record.status == JobStatus.COMPLETED:
        return clip_store_result(clip=clip, record=record)
    if record.status == JobStatus.FAILED:
        _fail(
            clip,
            code=record.error_code or "failed",
            message=record.error_message or "The gateway reported the job as failed.",
        )
        return None
    if record.status == JobStatus.CANCELLED:
        _save(clip, status=ClipStatus.CANCELLED, finished_at=timezone.now(), next_check_at=None)
        return None
    if record.status == JobStatus.RUNNING and clip.status != ClipStatus.RUNNING:
        _save(clip, status=ClipStatus.RUNNING)
    return _schedule(clip, next_poll_delay(clip, timezone.now()))


def clip_store_result(*, clip: Clip, record: JobRecord) -> NextStep | None:
    """Copy the finished video into our storage (the gateway's URL expires) with a poster."""
    try:
        stored = media.store_take_media(clip=clip, url=record.video_url or "")
    except media.ResultExpired:
        # The signed URL ran out: the next poll fetches the job record with a fresh one.
        return _schedule(clip, MIN_POLL_INTERVAL)
    except media.ResultRejected as error:
        _fail(clip, code="bad_result", message=str(error))
        return None
    billed = (
        (Decimal(record.cost_cents) / 100).quantize(Decimal("0.01"))
        if record.cost_cents is not None
        else clip.estimated_cost
    )
    _save(
        clip,
        status=ClipStatus.COMPLETED,
        video=stored.video_name,
        poster=stored.poster_name,
        resolution=stored.resolution,
        video_duration=stored.duration,
        result_url=record.video_url or "",
        billed_cost=billed,
        finished_at=timezone.now(),
        next_check_at=None,
        error_code="",
        error_message="",
    )
    return None


def clip_retry(*, user, clip: Clip) -> Clip:
    """A failed, cancelled or unconfirmed take is retried as a new take of the same shot."""
    if not clip.can_retry:
        raise ValidationError("Only a failed, cancelled or unconfirmed take can be retried.")
    return clip_create(user=user, shot=clip.shot)


def clips_sweep(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Find takes whose scheduled step is long overdue (message lost, worker killed, broker
    restarted) and hand them back to the workers; the claims make duplicates harmless."""
    now = now or timezone.now()
    overdue = now - SWEEP_GRACE
    to_poll = list(
        Clip.objects.filter(status__in=AT_GATEWAY_STATUSES, next_check_at__lte=overdue).values_list(
            "pk", flat=True
        )[:500]
    )
    to_submit = list(
        Clip.objects.filter(status=ClipStatus.PENDING, next_check_at__lte=overdue).values_list(
            "pk", flat=True
        )[:500]
    )
    # A submit claimed long ago and never finished: the worker died mid-request, so the
    # gateway may hold the job. Say so rather than resend.
    Clip.objects.filter(status=ClipStatus.SUBMITTING, next_check_at__lte=overdue).update(
        status=ClipStatus.UNCONFIRMED,
        error_code="outcome_unknown",
        error_message="The studio lost track of this submit; the gateway may have accepted it.",
        next_check_at=None,
        updated_at=now,
    )
    return {"poll": to_poll, "submit": to_submit}
