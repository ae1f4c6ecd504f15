"""The life of a take: create, submit, poll, store, cancel. Views, tasks and tests all go
through here.

The database is the source of truth. Each take's `next_check_at` says when its next step is
due; a dispatcher, run by beat every second, hands out the steps falling due (nothing waits in
the broker for minutes, so a worker's memory does not grow with the takes in flight). Every
step first claims its take with a conditional UPDATE and checks the row count, and every status
change is written only if the take is still where the step found it, so a task delivered twice
(late acknowledgement, a lease that ran out) or racing another step (a cancel, a webhook) does
its work once.
"""

import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.gateway import GatewayClient, JobRecord, JobStatus
from studio.gateway import errors as gw
from studio.projects.models import Project, Shot, validate_prompt
from studio.teams.models import Action, Membership
from studio.teams.services import require_action

from . import media, polling
from .budget import BudgetUnavailable, Kind, RequestBudget
from .ledger import project_totals
from .models import (
    AT_GATEWAY_STATUSES,
    Clip,
    ClipStatus,
    PauseReason,
    SubmitPause,
    WebhookEvent,
)

log = logging.getLogger(__name__)

# With webhooks, completion arrives by itself: polling is only a safety net.
WEBHOOK_SAFETY_POLL = timedelta(seconds=120)
RETRY_BASE_SECONDS = 5  # doubles per attempt
AUTH_RECHECK = timedelta(seconds=60)
# The dispatcher runs every second (CELERY_BEAT_SCHEDULE) and hands out the steps due before
# its next run, each with a countdown to its own time: a step is neither late by up to a
# second nor early. Each run hands out at most a batch, so one run stays short.
DISPATCH_AHEAD = timedelta(seconds=1)
DISPATCH_BATCH = 1000
# Polls are handed out in batches, one task each: its takes claimed with one UPDATE, the budget
# asked once, the requests made side by side on a few threads, the answers written in one
# transaction. One poll at a time, a worker process spent ~10 ms of claims, re-reads, budget
# round trips and a Celery message per poll, and two processes topped out near 200 polls/s.
# A batch holds takes falling due within POLL_BATCH_SPREAD of each other and goes when the last
# of them is due (never early: the gateway answers 304 to a poll within 3 s of the previous),
# so a poll is late by at most the spread.
POLL_BATCH = 50
POLL_BATCH_SPREAD = timedelta(milliseconds=100)


def claim_lease() -> timedelta:
    """How long a handed-out or claimed step is left alone before it is handed out again."""
    return timedelta(seconds=settings.STUDIO_CLAIM_LEASE_SECONDS)


def sweep_grace() -> timedelta:
    """How late something must be before the sweep calls it stale."""
    return timedelta(seconds=settings.STUDIO_SWEEP_GRACE_SECONDS)


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
    granted, wait = request_slots(kind, 1)
    return None if granted else wait


def request_slots(kind: Literal["submit", "poll", "cancel"], count: int) -> tuple[int, timedelta]:
    """How many of `count` gateway requests may go now (those are counted), and how long the
    rest should wait."""
    budget = request_budget()
    if budget is None:
        return count, timedelta(0)
    try:
        granted, wait = budget.acquire_many(kind, count)
    except BudgetUnavailable:
        log.warning("The request budget's Redis does not answer; waiting before calling")
        return 0, timedelta(seconds=RETRY_BASE_SECONDS)
    return granted, timedelta(seconds=wait)


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
        left_after=project.budget - project_totals(project).committed - cost,
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
        for clip in clips:
            _record(clip, Verb.GENERATED, user=user, cost=clip.estimated_cost)
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
    with transaction.atomic():
        shot.selected_take = clip
        shot.save(update_fields=["selected_take", "updated_at"])
        _record(clip, Verb.SELECTED, user=user)
    return clip


def _record(clip: Clip, verb: Verb, *, user, cost: Decimal | None = None) -> None:
    """The take's line in its project's activity log."""
    storyboard = clip.shot.storyboard
    activity_record(
        project=storyboard.project,
        storyboard=storyboard,
        verb=verb,
        subject=f"take {clip.take_number} of shot {clip.shot.position} in {storyboard.title}",
        actor=user,
        cost=cost,
    )


# Writing state


RENDER_SAMPLES = 200  # the latest takes of the duration, and of the others: recent, not last year


def render_times(clip: Clip) -> polling.RenderTimes:
    """What recent finished takes of this model and duration took at the gateway; the model's
    other durations help to learn the spread."""
    history = Clip.objects.filter(
        video_model=clip.video_model, status=ClipStatus.COMPLETED, submitted_at__isnull=False
    ).order_by("-finished_at")
    times = Coalesce("gateway_done_at", "finished_at")
    own = history.filter(duration=clip.duration).values_list("submitted_at", times)
    peers: dict[int, list[float]] = defaultdict(list)
    others = history.exclude(duration=clip.duration).values_list("duration", "submitted_at", times)
    for duration, sent, done in others[:RENDER_SAMPLES]:
        peers[duration].append((done - sent).total_seconds())
    return polling.RenderTimes.from_samples(
        [(done - sent).total_seconds() for sent, done in own[:RENDER_SAMPLES]],
        fallback=float(clip.video_model.typical_render_seconds),
        peers=peers.values(),
    )


def poll_floor() -> timedelta:
    """The shortest wait between two polls of one job (the gateway answers 304 to faster ones)."""
    return timedelta(seconds=settings.STUDIO_POLL_FLOOR_SECONDS)


def next_poll_delay(clip: Clip, now: datetime) -> timedelta:
    if clip.submitted_at is None:
        return poll_floor()
    if webhook_url_for(clip):
        # The event should come; the first safety poll waits until the job is overdue.
        if clip.latest_ready_at and now < clip.latest_ready_at:
            return max(clip.latest_ready_at - now, poll_floor())
        return WEBHOOK_SAFETY_POLL
    return polling.poll_delay(
        submitted_at=clip.submitted_at,
        earliest_ready_at=clip.earliest_ready_at,
        latest_ready_at=clip.latest_ready_at,
        now=now,
        floor=poll_floor(),
    )


def _transition(clip: Clip, *, from_statuses, **fields) -> bool:
    """Write `fields` only if the take is still in one of `from_statuses`."""
    fields["updated_at"] = timezone.now()
    moved = Clip.objects.filter(pk=clip.pk, status__in=from_statuses).update(**fields)
    if moved:
        for name, value in fields.items():
            setattr(clip, name, value)
    return bool(moved)


def _due(lease: datetime | None, now: datetime) -> Q:
    """A step sent straight away (a click) is due once its time has come; one the dispatcher
    handed out is due while the take still holds the lease it was handed out with, so a second
    delivery, or one whose lease ran out and was handed out again, finds it gone."""
    if lease is not None:
        return Q(next_check_at=lease)
    return Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)


def _claim(clip_id: int, *, statuses, lease: datetime | None = None) -> Clip | None:
    """Take the step for this take if it is due; a second delivery finds it not due."""
    now = timezone.now()
    claimed = Clip.objects.filter(_due(lease, now), pk=clip_id, status__in=statuses).update(
        next_check_at=now + claim_lease(), updated_at=now
    )
    if not claimed:
        return None
    return Clip.objects.select_related("video_model").get(pk=clip_id)


def _claim_many(clip_ids: Sequence[int], *, statuses, lease: datetime | None) -> list[Clip]:
    """Take the steps of these takes that are due, with one UPDATE; a second delivery finds
    them not due. The claimed rows are read back by the lease they now hold."""
    with transaction.atomic():
        now = timezone.now()
        held_until = now + claim_lease()
        claimed = Clip.objects.filter(
            _due(lease, now), pk__in=clip_ids, status__in=statuses
        ).update(next_check_at=held_until, updated_at=now)
        if not claimed:
            return []
        clips = list(
            Clip.objects.select_related("video_model").filter(
                pk__in=clip_ids, status__in=statuses, next_check_at=held_until
            )
        )
    if len(clips) != claimed:
        # Another claim drew the same microsecond: which rows are whose cannot be told, so
        # none is polled here and the leases run out (then they are handed out again).
        log.warning("Two claims held the same lease %s; their takes wait for it", held_until)
        return []
    return clips


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
    """Schedule the step again; after an error, one more retry counts towards the backoff."""
    retries = clip.retries + 1 if retry else clip.retries
    _transition(clip, from_statuses=statuses, next_check_at=timezone.now() + delay, retries=retries)
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


def clip_submit(*, clip_id: int, lease: datetime | None = None) -> NextStep | None:
    """Send a pending take to the gateway once; say what to do next, if anything."""
    now = timezone.now()
    if SubmitPause.objects.active().exists():
        # Nothing is sent while paused; resuming sends every waiting take.
        Clip.objects.filter(_due(lease, now), pk=clip_id, status=ClipStatus.PENDING).update(
            next_check_at=None
        )
        return None
    claimed = Clip.objects.filter(_due(lease, now), pk=clip_id, status=ClipStatus.PENDING).update(
        status=ClipStatus.SUBMITTING, next_check_at=now + claim_lease(), updated_at=now
    )
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
        delay = timedelta(seconds=error.retry_after) if error.retry_after else backoff(clip.retries)
        _transition(
            clip,
            from_statuses=submitting,
            status=ClipStatus.PENDING,
            next_check_at=now + delay,
            retries=clip.retries + 1,
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
        clip.earliest_ready_at = now + timedelta(seconds=times.first_poll())
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
        retries=0,
    )
    return NextStep("poll", delay)


def clip_poll(*, clip_id: int, lease: datetime | None = None) -> NextStep | None:
    """Ask the gateway about a take once; say when to ask again, or None when it is done."""
    return clips_poll(clip_ids=[clip_id], lease=lease).get(clip_id)


def clips_poll(
    *, clip_ids: Sequence[int], lease: datetime | None = None
) -> dict[int, NextStep | None]:
    """Ask the gateway about a batch of takes, the requests side by side; say for each take
    polled when to ask again (None when it is done). Takes no longer due (a second delivery, a
    cancel meanwhile) are left out."""
    clips = _claim_many(clip_ids, statuses=AT_GATEWAY_STATUSES, lease=lease)
    if not clips:
        return {}
    now = timezone.now()
    # When the budget is short, takes that can plausibly be done by now go first.
    clips.sort(key=lambda clip: not polling.plausibly_done(clip.earliest_ready_at, now))
    granted, wait = request_slots("poll", len(clips))
    sent, held = clips[:granted], clips[granted:]
    answers = _get_jobs([clip.gateway_job_id for clip in sent])
    steps: dict[int, NextStep | None] = {}
    finished: list[tuple[Clip, JobRecord, datetime]] = []
    with transaction.atomic():  # one commit for the batch's writes
        for clip in held:
            later = wait if polling.plausibly_done(clip.earliest_ready_at, now) else wait * 2
            steps[clip.pk] = _later(clip, "poll", later, AT_GATEWAY_STATUSES)
        for clip, (answer, answered_at) in zip(sent, answers, strict=True):
            if isinstance(answer, JobRecord) and answer.status == JobStatus.COMPLETED:
                finished.append((clip, answer, answered_at))
            else:
                steps[clip.pk] = _settle_poll(clip, answer, answered_at)
    # Storing a video means a download and a poster frame: after the batch's writes, not
    # inside their transaction. Each take still holds its claim meanwhile.
    for clip, record, answered_at in finished:
        steps[clip.pk] = _apply_record(clip, record, AT_GATEWAY_STATUSES, seen_at=answered_at)
    return steps


type PollAnswer = JobRecord | gw.GatewayError | None


def _settle_poll(clip: Clip, answer: PollAnswer, answered_at: datetime) -> NextStep | None:
    if isinstance(answer, gw.NotFound):
        message = "The gateway no longer knows this job."
        _fail(clip, code="not_found", message=message, from_statuses=AT_GATEWAY_STATUSES)
        return None
    if isinstance(answer, gw.AuthenticationError):
        submissions_pause(reason=PauseReason.AUTHENTICATION, message=answer.message)
        return _later(clip, "poll", AUTH_RECHECK, AT_GATEWAY_STATUSES, retry=True)
    if isinstance(answer, gw.GatewayError):
        # Polls are always safe to repeat: wait as long as the gateway asks, or back off.
        if isinstance(answer, gw.RateLimited):
            slow_everyone_down(answer)
        asked = timedelta(seconds=answer.retry_after) if answer.retry_after else None
        delay = max(asked or backoff(clip.retries), poll_floor())
        return _later(clip, "poll", delay, AT_GATEWAY_STATUSES, retry=True)
    if answer is None:  # 304: polled too early, nothing new
        return _later(clip, "poll", poll_floor(), AT_GATEWAY_STATUSES)
    return _apply_record(clip, answer, AT_GATEWAY_STATUSES, seen_at=answered_at)


def _get_jobs(job_ids: list[str]) -> list[tuple[PollAnswer, datetime]]:
    """Each job's record (None for a 304) or the error the gateway answered with, in order,
    with when it answered: the batch is written after its last answer, and render times are
    learned from when each job was seen."""
    client = gateway_client()

    def get(job_id: str) -> tuple[PollAnswer, datetime]:
        try:
            answer: PollAnswer = client.get_job(job_id)
        except gw.GatewayError as error:
            answer = error
        return answer, timezone.now()

    if len(job_ids) < 2:
        return [get(job_id) for job_id in job_ids]
    return list(_poll_threads().map(get, job_ids))


_pools: dict[int, ThreadPoolExecutor] = {}


def _poll_threads() -> ThreadPoolExecutor:
    """This process's threads for a batch's requests. Made where they are used: a prefork
    child does not inherit its parent's threads. They only wait on the network; the database
    is written from the task's own thread."""
    pid = os.getpid()
    if pid not in _pools:
        _pools[pid] = ThreadPoolExecutor(
            settings.STUDIO_POLL_THREADS, thread_name_prefix="gateway-poll"
        )
    return _pools[pid]


def _apply_record(
    clip: Clip, record: JobRecord, from_statuses, *, seen_at: datetime | None = None
) -> NextStep | None:
    now = seen_at or timezone.now()
    if record.status == JobStatus.COMPLETED:
        # Learned from later: between the last poll that saw it running and this one. A job
        # already done at its first poll was, most likely, done shortly before it (the first
        # poll is where few jobs are done yet): taking the submit as the last sign of life
        # would teach render times half as long as they were.
        seen_running = clip.last_seen_running_at or max(
            clip.submitted_at or now, now - polling.NEAR_INTERVAL
        )
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
        retries=0,
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
        return _later(clip, "poll", poll_floor(), from_statuses)
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
    with transaction.atomic():
        if _transition(
            clip,
            from_statuses=[ClipStatus.PENDING],
            status=ClipStatus.CANCELLED,
            finished_at=now,
            next_check_at=None,
        ):
            _record(clip, Verb.CANCELLED, user=user)
            return clip
        if not _transition(
            clip,
            from_statuses=AT_GATEWAY_STATUSES,
            status=ClipStatus.CANCELLING,
            next_check_at=now,
            retries=0,
        ):
            raise ValidationError("Only a waiting, queued or running take can be cancelled.")
        _record(clip, Verb.CANCELLED, user=user)
        # Its own queue (CELERY_TASK_ROUTES): a cancel must not wait behind a storm of submits.
        transaction.on_commit(lambda: cancel_clip.delay(clip.pk))
    return clip


def clip_cancel(*, clip_id: int, lease: datetime | None = None) -> NextStep | None:
    clip = _claim(clip_id, statuses=[ClipStatus.CANCELLING], lease=lease)
    if clip is None:
        return None
    cancelling = [ClipStatus.CANCELLING]
    if wait := wait_for_slot("cancel"):
        return _later(clip, "cancel", wait, cancelling)
    try:
        record = gateway_client().cancel(clip.gateway_job_id)
    except gw.GatewayError as error:
        if error.retryable:
            delay = (
                timedelta(seconds=error.retry_after) if error.retry_after else backoff(clip.retries)
            )
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
    # The event is marked applied in the same transaction as the take learns its job, so an
    # event is applied once however often its task is delivered, and a worker dying before the
    # commit leaves it to be applied again (an unconfirmed take has nothing else to learn its
    # job from). Once committed, the take holds a lease: if storing dies, a poll settles it.
    with transaction.atomic():
        if not WebhookEvent.objects.filter(pk=event_pk, applied_at__isnull=True).update(
            applied_at=timezone.now()
        ):
            return None
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
            next_check_at=now + claim_lease(),
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


# Handing out due steps, and the safety net


STEP_STATUSES: dict[Kind, tuple[ClipStatus, ...]] = {
    # In this order: a cancel stops spending, a submit starts a take, a poll only notices.
    "cancel": (ClipStatus.CANCELLING,),
    "submit": (ClipStatus.PENDING,),
    "poll": AT_GATEWAY_STATUSES,
}


@dataclass(frozen=True)
class Dispatch:
    """One step handed out: run `action` for the take `after` from now, holding `lease`."""

    clip_id: int
    action: Literal["submit", "poll", "cancel"]
    after: timedelta
    lease: datetime


def clips_dispatch(*, now: datetime | None = None) -> list[Dispatch]:
    """Hand out the steps falling due before the dispatcher's next run, oldest first, no more
    than the request budget lets go meanwhile (the rest stay due and go first next time, so no
    take starves). Each is leased with a conditional UPDATE: a step still leased is not handed
    out twice, and one whose lease ran out (its message lost, its worker killed) is again."""
    now = now or timezone.now()
    horizon = now + DISPATCH_AHEAD
    lease = now + claim_lease()
    rooms = _budget_room()
    paused = SubmitPause.objects.active().exists()
    handed: list[Dispatch] = []
    for action, statuses in STEP_STATUSES.items():
        if action == "submit" and paused:
            continue  # they wait, unscheduled, until resumed
        limit = min(DISPATCH_BATCH, rooms[action]) - len(handed)
        if limit <= 0:
            continue
        due = list(
            Clip.objects.filter(status__in=statuses, next_check_at__lte=horizon)
            .order_by("next_check_at")
            .values_list("pk", "next_check_at")[:limit]
        )
        if not due:
            continue
        ids = [pk for pk, _ in due]
        # Only takes still due and in the same state: a click or a worker may have moved one.
        Clip.objects.filter(pk__in=ids, status__in=statuses, next_check_at__lte=horizon).update(
            next_check_at=lease, updated_at=now
        )
        leased = set(
            Clip.objects.filter(pk__in=ids, next_check_at=lease).values_list("pk", flat=True)
        )
        handed += [
            Dispatch(pk, action, max(due_at - now, timedelta(0)), lease)
            for pk, due_at in due
            if pk in leased and due_at is not None  # never None: it matched __lte above
        ]
    return handed


@dataclass(frozen=True)
class PollBatch:
    """Polls handed out together, for one task: run `after` from now, holding `lease`."""

    clip_ids: tuple[int, ...]
    after: timedelta
    lease: datetime


def poll_batches(steps: Sequence[Dispatch]) -> list[PollBatch]:
    """Group the polls handed out: up to POLL_BATCH takes falling due within POLL_BATCH_SPREAD
    of the first, sent when the last of them is due."""
    batches: list[PollBatch] = []
    group: list[Dispatch] = []
    for step in sorted((step for step in steps if step.action == "poll"), key=lambda s: s.after):
        if group and (
            len(group) == POLL_BATCH
            or step.after - group[0].after > POLL_BATCH_SPREAD
            or step.lease != group[0].lease
        ):
            batches.append(_batch(group))
            group = []
        group.append(step)
    if group:
        batches.append(_batch(group))
    return batches


def _batch(group: list[Dispatch]) -> PollBatch:
    return PollBatch(tuple(step.clip_id for step in group), group[-1].after, group[0].lease)


def _budget_room() -> dict[str, int]:
    """How many steps of each kind the shared request budget lets go before the next run."""
    budget = request_budget()
    if budget is None:
        return dict.fromkeys(STEP_STATUSES, DISPATCH_BATCH)
    within = DISPATCH_AHEAD.total_seconds()
    try:
        return {kind: budget.room(kind, within=within) for kind in STEP_STATUSES}
    except BudgetUnavailable:
        # Hand them out anyway: each step asks the budget itself and waits if it cannot.
        return dict.fromkeys(STEP_STATUSES, DISPATCH_BATCH)


@dataclass(frozen=True)
class Sweep:
    unconfirmed: int  # submits a dead worker left halfway
    rescheduled: int  # takes in a working state that nothing would have moved on
    webhook_events: list[int]  # received but never applied


def clips_sweep(*, now: datetime | None = None) -> Sweep:
    """Find what is stale in a state that is not final and move it on. The dispatcher already
    hands out every step whose time (or lease) has passed; this catches the rest."""
    now = now or timezone.now()
    stale = now - sweep_grace()
    # A submit claimed long ago and never finished: the worker died mid-request, so the
    # gateway may hold the job. Say so rather than resend.
    unconfirmed = Clip.objects.filter(
        status=ClipStatus.SUBMITTING, next_check_at__lte=stale
    ).update(
        status=ClipStatus.UNCONFIRMED,
        error_code="outcome_unknown",
        error_message="The studio lost track of this submit; the gateway may have accepted it.",
        next_check_at=None,
        updated_at=now,
    )
    # A working take with no next step (an admin edit, a pause lifted by hand): due now.
    unscheduled = Q(status__in=[ClipStatus.CANCELLING, *AT_GATEWAY_STATUSES])
    if not SubmitPause.objects.active().exists():
        unscheduled |= Q(status=ClipStatus.PENDING)
    rescheduled = Clip.objects.filter(
        unscheduled, next_check_at__isnull=True, updated_at__lte=stale
    ).update(next_check_at=now, updated_at=now)
    events = list(
        WebhookEvent.objects.filter(applied_at__isnull=True, received_at__lte=stale)
        .order_by("received_at")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return Sweep(unconfirmed=unconfirmed, rescheduled=rescheduled, webhook_events=events)
