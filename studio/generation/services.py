"""The life of a take: create, submit, poll, store, cancel. Views, tasks and tests all go
through here.

The database is the source of truth. Every step first claims its take with a conditional
UPDATE and checks the row count, and every status change is written only if the take is still
where the step found it, so a task delivered twice (late acknowledgement, the beat sweep) or
racing another step (a cancel, a webhook) does its work once.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from studio.gateway import GatewayClient, JobRecord, JobStatus
from studio.gateway import errors as gw
from studio.projects.models import Project, Shot, validate_prompt
from studio.teams.models import Action, Membership
from studio.teams.services import require_action

from . import media, polling
from .budget import BudgetUnavailable, RequestBudget
from .ledger import project_committed_cost
from .models import (
    AT_GATEWAY_STATUSES,
    Clip,
    ClipStatus,
    PauseReason,
    SubmitPause,
    WebhookEvent,
)

log = logging.getLogger(__name__)

MIN_POLL_INTERVAL = polling.MIN_INTERVAL
# With webhooks, completion arrives by itself: polling is only a safety net.
WEBHOOK_SAFETY_POLL = timedelta(seconds=120)
CLAIM_LEASE = timedelta(seconds=120)  # how long a claimed take is left alone by the sweep
SWEEP_GRACE = timedelta(seconds=20)  # a scheduled step this late means its message was lost
RETRY_BASE_SECONDS = 5  # doubles per attempt
AUTH_RECHECK = timedelta(seconds=60)


class BudgetExceeded(ValidationError):
    pass


@dataclass(frozen=True)
class NextStep:
    """What the worker should do next for a take, and when."""

    action: Literal["submit", "poll", "cancel"]
    after: timedelta
    retry: bool = False  # after an error: the next attempt backs off further


_client: dict[tuple, GatewayClient] = {}


def gateway_client() -> GatewayClient:
    """One client per process, so connections and the TLS context are reused from poll to poll
    (building one per call was most of a poll's cost). httpx clients are thread-safe."""
    key = (settings.AIGATEWAY_BASE_URL, settings.AIGATEWAY_API_KEY, settings.AIGATEWAY_TIMEOUT)
    if key not in _client:
        for stale in _client.values():
            stale.close()
        _client.clear()
        _client[key] = GatewayClient(key[0], key[1], timeout=key[2])
    return _client[key]


def webhook_url_for(clip: Clip) -> str | None:
    """Each take gets its own URL, so an event identifies its take even when the submit's answer
    was lost and the job id never reached us."""
    if not (settings.AIGATEWAY_WEBHOOK_SECRET and settings.STUDIO_PUBLIC_URL):
        return None
    return settings.STUDIO_PUBLIC_URL + reverse("gateway_webhook", args=[clip.uuid])


_budgets: dict[tuple[str, int], RequestBudget] = {}


def request_budget() -> RequestBudget | None:
    """This process's handle on the shared budget (one connection pool per process)."""
    if not settings.STUDIO_BUDGET_REDIS_URL:
        return None
    key = (settings.STUDIO_BUDGET_REDIS_URL, settings.AIGATEWAY_RPM)
    if key not in _budgets:
        _budgets[key] = RequestBudget.from_settings()
    return _budgets[key]


def wait_for_slot(kind: Literal["submit", "poll", "cancel"]) -> timedelta | None:
    """None when one gateway request may go now (it is counted), else how long to wait."""
    budget = request_budget()
    if budget is None:
        return None
    try:
        wait = budget.acquire(kind)
    except BudgetUnavailable:
        log.warning("The request budget's Redis does not answer; waiting before calling")
        return timedelta(seconds=RETRY_BASE_SECONDS)
    return timedelta(seconds=wait) if wait else None


def slow_everyone_down(error: gw.GatewayError) -> None:
    """A 429 came anyway (another client on the key, clock skew): every worker waits."""
    budget = request_budget()
    if budget is not None and error.retry_after:
        with contextlib.suppress(BudgetUnavailable):  # the 429's own wait still applies
            budget.slow_down(error.retry_after)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** min(attempt, 6))


# Creating takes


def clip_create(*, user, shot: Shot) -> Clip:
    """A new take of the shot, reserved against the project's budget and queued for submit."""
    return clips_create(user=user, shots=[shot])[0]


@dataclass(frozen=True)
class Batch:
    """What generating these shots costs, and what the budget keeps afterwards."""

    shots: int
    seconds: int
    cost: Decimal
    left_after: Decimal

    @property
    def over_by(self) -> Decimal:
        return -self.left_after

    def describe(self) -> str:
        shots = f"{self.shots} shot{'s' if self.shots != 1 else ''}"
        return f"{shots}, {self.seconds} s, ${self.cost:.2f}"


def batch_estimate(*, project: Project, shots: list[Shot]) -> Batch:
    cost = sum((shot.video_model.cost_for(shot.duration) for shot in shots), Decimal("0.00"))
    return Batch(
        shots=len(shots),
        seconds=sum(shot.duration for shot in shots),
        cost=cost,
        left_after=project.budget - project_committed_cost(project) - cost,
    )


def clips_create(*, user, shots: list[Shot]) -> list[Clip]:
    """A take of each shot, all or none: reserved together against the project's budget."""
    from .tasks import submit_clip

    if not shots:
        raise ValidationError("Choose at least one shot to generate.")
    project = shots[0].storyboard.project
    require_action(user=user, team=project.team, action=Action.GENERATE)
    for shot in shots:
        validate_prompt(shot.prompt)
        shot.video_model.validate_request(duration=shot.duration, aspect_ratio=shot.aspect_ratio)
    with transaction.atomic():
        # Lock the project row so concurrent clicks cannot overspend the budget together.
        # (On SQLite the IMMEDIATE transaction already serialises writers.)
        Project.objects.select_for_update().filter(pk=project.pk).first()
        batch = batch_estimate(project=project, shots=shots)
        if batch.left_after < 0:
            left = max(batch.left_after + batch.cost, Decimal("0"))
            what = "This take costs" if len(shots) == 1 else f"These {len(shots)} takes cost"
            raise BudgetExceeded(
                f"{what} ${batch.cost:.2f}; the project has ${left:.2f} "
                f"left of its ${project.budget} budget."
            )
        now = timezone.now()
        # The shots' last take numbers in one query, however many shots there are.
        last = dict(
            Clip.objects.filter(shot__in=shots)
            .values("shot")
            .annotate(last=Max("take_number"))
            .values_list("shot", "last")
            .order_by()
        )
        clips = [
            Clip.objects.create(
                shot=shot,
                take_number=last.get(shot.pk, 0) + 1,
                video_model=shot.video_model,
                prompt=shot.prompt,
                duration=shot.duration,
                aspect_ratio=shot.aspect_ratio,
                estimated_cost=shot.video_model.cost_for(shot.duration),
                created_by=user,
                next_check_at=now,
            )
            for shot in shots
        ]
        transaction.on_commit(lambda: [submit_clip.delay(clip.pk) for clip in clips])
    return clips


def clip_retry(*, user, clip: Clip) -> Clip:
    """A failed, cancelled or unconfirmed take is retried as a new take of the same shot."""
    if not clip.can_retry:
        raise ValidationError("Only a failed, cancelled or unconfirmed take can be retried.")
    return clip_create(user=user, shot=clip.shot)


def clip_check_again(*, user, clip: Clip) -> Clip:
    """An unconfirmed take is sent again with the same Idempotency-Key: a gateway that honours
    the key answers with the job it already has; the user was told it may not."""
    from .tasks import submit_clip

    require_action(user=user, team=clip.shot.storyboard.project.team, action=Action.GENERATE)
    moved = _transition(
        clip,
        from_statuses=[ClipStatus.UNCONFIRMED],
        status=ClipStatus.PENDING,
        error_code="",
        error_message="",
        next_check_at=timezone.now(),
    )
    if not moved:
        raise ValidationError("Only an unconfirmed take can be checked again.")
    transaction.on_commit(lambda: submit_clip.delay(clip.pk))
    return clip


def clip_select(*, user, clip: Clip) -> Clip:
    """Mark a finished take as its shot's choice for the ad."""
    shot = clip.shot
    require_action(user=user, team=shot.storyboard.project.team, action=Action.EDIT)
    if clip.status != ClipStatus.COMPLETED:
        raise ValidationError("Only a finished take can be the shot's selected take.")
    shot.selected_take = clip
    shot.save(update_fields=["selected_take", "updated_at"])
    return clip


# Writing state


def render_times(clip: Clip) -> polling.RenderTimes:
    """What recent finished takes of this model and duration took at the gateway."""
    recent = (
        Clip.objects.filter(
            video_model=clip.video_model,
            duration=clip.duration,
            status=ClipStatus.COMPLETED,
            submitted_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("submitted_at", Coalesce("gateway_done_at", "finished_at"))[:50]
    )
    return polling.RenderTimes.from_samples(
        [(done - sent).total_seconds() for sent, done in recent],
        fallback=float(clip.video_model.typical_render_seconds),
    )


def next_poll_delay(clip: Clip, now: datetime) -> timedelta:
    if clip.submitted_at is None:
        return MIN_POLL_INTERVAL
    if webhook_url_for(clip):
        # The event should come; the first safety poll waits until the job is overdue.
        if clip.latest_ready_at and now < clip.latest_ready_at:
            return max(clip.latest_ready_at - now, MIN_POLL_INTERVAL)
        return WEBHOOK_SAFETY_POLL
    return polling.poll_delay(
        submitted_at=clip.submitted_at,
        earliest_ready_at=clip.earliest_ready_at,
        latest_ready_at=clip.latest_ready_at,
        now=now,
    )


def _transition(clip: Clip, *, from_statuses, **fields) -> bool:
    """Write `fields` only if the take is still in one of `from_statuses`."""
    fields["updated_at"] = timezone.now()
    moved = Clip.objects.filter(pk=clip.pk, status__in=from_statuses).update(**fields)
    if moved:
        for name, value in fields.items():
            setattr(clip, name, value)
    return bool(moved)


def _claim(clip_id: int, *, statuses) -> Clip | None:
    """Take the step for this take if it is due; a second delivery finds it not due."""
    now = timezone.now()
    claimed = Clip.objects.filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
        pk=clip_id,
        status__in=statuses,
    ).update(next_check_at=now + CLAIM_LEASE, updated_at=now)
    if not claimed:
        return None
    return Clip.objects.select_related("video_model").get(pk=clip_id)


def _fail(clip: Clip, *, code: str, message: str, from_statuses, **fields) -> None:
    _transition(
        clip,
        from_statuses=from_statuses,
        status=ClipStatus.FAILED,
        error_code=code,
        error_message=message,
        finished_at=timezone.now(),
        next_check_at=None,
        **fields,
    )


def _later(
    clip: Clip,
    action: Literal["submit", "poll", "cancel"],
    delay: timedelta,
    statuses,
    *,
    retry: bool = False,
) -> NextStep:
    _transition(clip, from_statuses=statuses, next_check_at=timezone.now() + delay)
    return NextStep(action, delay, retry)


# Pausing all submissions


def active_pauses() -> list[SubmitPause]:
    return list(SubmitPause.objects.active())


def submissions_pause(*, reason: str, message: str) -> None:
    try:
        with transaction.atomic():
            SubmitPause.objects.create(reason=reason, message=message)
    except IntegrityError:
        pass  # another worker paused for the same reason first


def submissions_resume(*, user) -> int:
    """Lift every pause and send the takes that waited. A rejected key is an operator's
    matter; an empty wallet anyone who generates may resume after topping up."""
    from .tasks import submit_clip

    pauses = SubmitPause.objects.active()
    if not pauses.exists():
        return 0
    if pauses.filter(reason=PauseReason.AUTHENTICATION).exists() and not user.is_staff:
        raise PermissionDenied("Only an administrator can resume after the API key was rejected.")
    may_generate = any(m.allows(Action.GENERATE) for m in Membership.objects.filter(user=user))
    if not (user.is_staff or may_generate):
        raise PermissionDenied("Only people who generate takes can resume submissions.")
    now = timezone.now()
    with transaction.atomic():
        pauses.update(resumed_at=now, resumed_by=user)
        waiting = list(Clip.objects.filter(status=ClipStatus.PENDING).values_list("pk", flat=True))
        Clip.objects.filter(pk__in=waiting).update(next_check_at=now, updated_at=now)
        transaction.on_commit(lambda: [submit_clip.delay(pk) for pk in waiting])
    return len(waiting)


# Talking to the gateway


def clip_submit(*, clip_id: int, attempt: int = 0) -> NextStep | None:
    """Send a pending take to the gateway once; say what to do next, if anything."""
    if SubmitPause.objects.active().exists():
        # Nothing is sent while paused; resuming sends every waiting take.
        Clip.objects.filter(pk=clip_id, status=ClipStatus.PENDING).update(next_check_at=None)
        return None
    now = timezone.now()
    claimed = Clip.objects.filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
        pk=clip_id,
        status=ClipStatus.PENDING,
    ).update(status=ClipStatus.SUBMITTING, next_check_at=now + CLAIM_LEASE, updated_at=now)
    if not claimed:
        return None
    clip = Clip.objects.select_related("video_model").get(pk=clip_id)
    submitting = [ClipStatus.SUBMITTING]
    if wait := wait_for_slot("submit"):
        _transition(
            clip, from_statuses=submitting, status=ClipStatus.PENDING, next_check_at=now + wait
        )
        return NextStep("submit", wait)
    try:
        record = gateway_client().submit(
            model=clip.video_model.slug,
            prompt=clip.prompt,
            duration=clip.duration,
            aspect_ratio=clip.aspect_ratio,
            idempotency_key=str(clip.idempotency_key),
            webhook_url=webhook_url_for(clip),
        )
    except (gw.RateLimited, gw.ServiceUnavailable, gw.GatewayUnreachable) as error:
        # Not processed by the gateway: safe to send again, later.
        if isinstance(error, gw.RateLimited):
            slow_everyone_down(error)
        delay = timedelta(seconds=error.retry_after) if error.retry_after else backoff(attempt)
        _transition(
            clip, from_statuses=submitting, status=ClipStatus.PENDING, next_check_at=now + delay
        )
        return NextStep("submit", delay, retry=True)
    except gw.OutcomeUnknown as error:
        # The job may exist, and a second one would be a second charge: never resend blindly.
        _transition(
            clip,
            from_statuses=submitting,
            status=ClipStatus.UNCONFIRMED,
            error_code="outcome_unknown",
            error_message=(
                f"The gateway may or may not have accepted this take ({error.message}). "
                "Check again, or retry knowing it may be charged twice."
            ),
            next_check_at=None,
        )
        return None
    except gw.AuthenticationError as error:
        # Not this take's fault: it waits, pending, until an operator fixes the key.
        submissions_pause(reason=PauseReason.AUTHENTICATION, message=error.message)
        _transition(clip, from_statuses=submitting, status=ClipStatus.PENDING, next_check_at=None)
        return None
    except gw.InsufficientCredits as error:
        submissions_pause(reason=PauseReason.CREDITS, message=error.message)
        _fail(clip, code="insufficient_credits", message=error.message, from_statuses=submitting)
        return None
    except gw.NotFound:
        message = f"The gateway does not know the model {clip.video_model.slug}."
        _fail(clip, code="unknown_model", message=message, from_statuses=submitting)
        return None
    except gw.GatewayError as error:
        code = error.error_type or "gateway_error"
        _fail(clip, code=code, message=error.message, from_statuses=submitting)
        return None
    return _accept(clip, record, now)


def _accept(clip: Clip, record: JobRecord, now: datetime) -> NextStep:
    times = render_times(clip)
    clip.submitted_at = now
    clip.expected_ready_at = now + timedelta(seconds=times.median)
    if times.learned:
        clip.earliest_ready_at = now + timedelta(seconds=times.percentile(polling.Z_EARLY))
        clip.latest_ready_at = now + timedelta(seconds=times.percentile(polling.Z_LATE))
    delay = next_poll_delay(clip, now)
    _transition(
        clip,
        from_statuses=[ClipStatus.SUBMITTING],
        gateway_job_id=record.id,
        status=ClipStatus.RUNNING if record.status == JobStatus.RUNNING else ClipStatus.QUEUED,
        submitted_at=now,
        expected_ready_at=clip.expected_ready_at,
        earliest_ready_at=clip.earliest_ready_at,
        latest_ready_at=clip.latest_ready_at,
        next_check_at=now + delay,
    )
    return NextStep("poll", delay)


def clip_poll(*, clip_id: int, attempt: int = 0) -> NextStep | None:
    """Ask the gateway about a take once; say when to ask again, or None when it is done."""
    clip = _claim(clip_id, statuses=AT_GATEWAY_STATUSES)
    if clip is None:
        return None
    if wait := wait_for_slot("poll"):
        # The budget is short: takes that can plausibly be done by now go first.
        if not polling.plausibly_done(clip.earliest_ready_at, timezone.now()):
            wait *= 2
        return _later(clip, "poll", wait, AT_GATEWAY_STATUSES)
    try:
        record = gateway_client().get_job(clip.gateway_job_id)
    except gw.NotFound:
        message = "The gateway no longer knows this job."
        _fail(clip, code="not_found", message=message, from_statuses=AT_GATEWAY_STATUSES)
        return None
    except gw.AuthenticationError as error:
        submissions_pause(reason=PauseReason.AUTHENTICATION, message=error.message)
        return _later(clip, "poll", AUTH_RECHECK, AT_GATEWAY_STATUSES, retry=True)
    except gw.GatewayError as error:
        # Polls are always safe to repeat: wait as long as the gateway asks, or back off.
        if isinstance(error, gw.RateLimited):
            slow_everyone_down(error)
        delay = timedelta(seconds=error.retry_after) if error.retry_after else backoff(attempt)
        delay = max(delay, MIN_POLL_INTERVAL)
        return _later(clip, "poll", delay, AT_GATEWAY_STATUSES, retry=True)
    if record is None:  # 304: polled too early, nothing new
        return _later(clip, "poll", MIN_POLL_INTERVAL, AT_GATEWAY_STATUSES)
    return _apply_record(clip, record, AT_GATEWAY_STATUSES)


def _apply_record(clip: Clip, record: JobRecord, from_statuses) -> NextStep | None:
    now = timezone.now()
    if record.status == JobStatus.COMPLETED:
        seen_running = clip.last_seen_running_at or clip.submitted_at or now
        clip.gateway_done_at = seen_running + (now - seen_running) / 2
        return clip_store_result(clip=clip, record=record, from_statuses=from_statuses)
    if record.status == JobStatus.FAILED:
        _fail(
            clip,
            code=record.error_code or "failed",
            message=record.error_message or "The gateway reported the job as failed.",
            from_statuses=from_statuses,
        )
        return None
    if record.status == JobStatus.CANCELLED:
        _transition(
            clip,
            from_statuses=from_statuses,
            status=ClipStatus.CANCELLED,
            finished_at=now,
            next_check_at=None,
        )
        return None
    status = ClipStatus.RUNNING if record.status == JobStatus.RUNNING else ClipStatus.QUEUED
    delay = next_poll_delay(clip, now)
    _transition(
        clip,
        from_statuses=from_statuses,
        status=status,
        last_seen_running_at=now,
        next_check_at=now + delay,
    )
    return NextStep("poll", delay)


def clip_store_result(*, clip: Clip, record: JobRecord, from_statuses) -> NextStep | None:
    """Copy the finished video into our storage (the gateway's URL expires) with a poster."""
    # The gateway completed the job, so it has billed it, whatever becomes of the file.
    billed = (
        (Decimal(record.cost_cents) / 100).quantize(Decimal("0.01"))
        if record.cost_cents is not None
        else clip.estimated_cost
    )
    try:
        stored = media.store_take_media(clip=clip, url=record.video_url or "")
    except media.ResultExpired:
        # The signed URL ran out: the next poll fetches the job record with a fresh one.
        return _later(clip, "poll", MIN_POLL_INTERVAL, from_statuses)
    except media.ResultRejected as error:
        _fail(
            clip,
            code="bad_result",
            message=str(error),
            from_statuses=from_statuses,
            billed_cost=billed,
        )
        return None
    _transition(
        clip,
        from_statuses=from_statuses,
        status=ClipStatus.COMPLETED,
        gateway_job_id=record.id,
        video=stored.video_name,
        poster=stored.poster_name,
        resolution=stored.resolution,
        video_duration=stored.duration,
        result_url=record.video_url or "",
        billed_cost=billed,
        gateway_done_at=clip.gateway_done_at or timezone.now(),
        finished_at=timezone.now(),
        next_check_at=None,
        error_code="",
        error_message="",
    )
    return None


# Cancelling


def clip_request_cancel(*, user, clip: Clip) -> Clip:
    """Stop a take. One not yet sent ends here; one at the gateway is cancelled there by a
    worker (the gateway is never called from a web request)."""
    from .tasks import cancel_clip

    require_action(user=user, team=clip.shot.storyboard.project.team, action=Action.GENERATE)
    now = timezone.now()
    if _transition(
        clip,
        from_statuses=[ClipStatus.PENDING],
        status=ClipStatus.CANCELLED,
        finished_at=now,
        next_check_at=None,
    ):
        return clip
    if not _transition(
        clip, from_statuses=AT_GATEWAY_STATUSES, status=ClipStatus.CANCELLING, next_check_at=now
    ):
        raise ValidationError("Only a waiting, queued or running take can be cancelled.")
    transaction.on_commit(lambda: cancel_clip.delay(clip.pk))
    return clip


def clip_cancel(*, clip_id: int, attempt: int = 0) -> NextStep | None:
    clip = _claim(clip_id, statuses=[ClipStatus.CANCELLING])
    if clip is None:
        return None
    cancelling = [ClipStatus.CANCELLING]
    if wait := wait_for_slot("cancel"):
        return _later(clip, "cancel", wait, cancelling)
    try:
        record = gateway_client().cancel(clip.gateway_job_id)
    except gw.GatewayError as error:
        if error.retryable:
            delay = timedelta(seconds=error.retry_after) if error.retry_after else backoff(attempt)
            return _later(clip, "cancel", delay, cancelling, retry=True)
        # The gateway will not cancel it (already finished, say): follow the job as before.
        _transition(
            clip, from_statuses=cancelling, status=ClipStatus.RUNNING, next_check_at=timezone.now()
        )
        return NextStep("poll", timedelta(0))
    return _apply_record(clip, record, cancelling)


# Webhooks


def webhook_receive(*, clip: Clip, event: dict) -> bool:
    """Record a verified event once; False for a replay, which is acknowledged and ignored."""
    from .tasks import apply_webhook

    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=str(event["id"]),
                event_type=str(event.get("type", "")),
                clip=clip,
                payload=event,
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: apply_webhook.delay(stored.pk))
    return True


def webhook_apply(*, event_pk: int) -> NextStep | None:
    """Complete the take from the event at once. A take whose submit answer was lost learns its
    job id here; a failure is polled for, because the event does not carry its reason."""
    event = WebhookEvent.objects.select_related("clip__video_model").get(pk=event_pk)
    clip, data = event.clip, event.payload["data"]
    job_id = str(data.get("job_id") or "")
    if clip.gateway_job_id and job_id != clip.gateway_job_id:
        log.warning("Webhook %s names job %s, not take %s's", event.event_id, job_id, clip.uuid)
        return None
    waiting = [*AT_GATEWAY_STATUSES, ClipStatus.UNCONFIRMED, ClipStatus.SUBMITTING]
    now = timezone.now()
    if not _transition(
        clip,
        from_statuses=waiting,
        gateway_job_id=job_id,
        status=ClipStatus.RUNNING,
        submitted_at=clip.submitted_at or now,
        error_code="",
        error_message="",
        next_check_at=now + CLAIM_LEASE,
    ):
        return None  # already settled: a poll got there first
    if event.event_type != "job.completed":
        return _later(clip, "poll", timedelta(0), AT_GATEWAY_STATUSES)
    clip.gateway_done_at = event.received_at
    usage = data.get("usage") or {}
    record = JobRecord(
        id=job_id,
        status=JobStatus.COMPLETED,
        model=data.get("model"),
        created=event.payload.get("created"),
        video_url=data.get("result_url"),
        video_duration=None,
        resolution=None,
        error_code=None,
        error_message=None,
        cost_cents=usage.get("cost_cents"),
        raw=event.payload,
    )
    return clip_store_result(clip=clip, record=record, from_statuses=[ClipStatus.RUNNING])


# The safety net


def clips_sweep(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Find takes whose scheduled step is long overdue (message lost, worker killed, broker
    restarted) and hand them back to the workers; the claims make duplicates harmless."""
    now = now or timezone.now()
    overdue = Clip.objects.filter(next_check_at__lte=now - SWEEP_GRACE)

    def ids(*statuses) -> list[int]:
        return list(overdue.filter(status__in=statuses).values_list("pk", flat=True)[:500])

    found = {
        "poll": ids(*AT_GATEWAY_STATUSES),
        "submit": ids(ClipStatus.PENDING),
        "cancel": ids(ClipStatus.CANCELLING),
    }
    # A submit claimed long ago and never finished: the worker died mid-request, so the
    # gateway may hold the job. Say so rather than resend.
    overdue.filter(status=ClipStatus.SUBMITTING).update(
        status=ClipStatus.UNCONFIRMED,
        error_code="outcome_unknown",
        error_message="The studio lost track of this submit; the gateway may have accepted it.",
        next_check_at=None,
        updated_at=now,
    )
    return found
