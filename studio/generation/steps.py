"""The worker's steps for a take: submit it, poll it (in batches), store its video, cancel it
at the gateway. Each is run by a thin task (tasks.py), claims its take first and says what to
do next; a web request never calls the gateway."""

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from studio.gateway import GatewayClient, JobRecord, JobStatus
from studio.gateway import errors as gw

from . import polling, render_history
from .models import AT_GATEWAY_STATUSES, PauseReason, SubmitPause, Take, TakeStatus
from .pauses import pauses_changed
from .results import take_store_result
from .throttle import backoff, request_slots, slow_everyone_down, wait_for_slot
from .transitions import (
    NextStep,
    claim,
    claim_lease,
    claim_many,
    claim_renew,
    fail,
    poll_floor,
    reschedule,
    transition,
)

AUTH_RECHECK = timedelta(seconds=60)


_client: dict[tuple, GatewayClient] = {}


def gateway_client() -> GatewayClient:
    """One client per process, so connections and the TLS context are reused from poll to poll
    (building one per call was most of a poll's cost). httpx clients are thread-safe."""
    key = (
        settings.STUDIO_GATEWAY_CLIENT,
        settings.AIGATEWAY_BASE_URL,
        settings.AIGATEWAY_API_KEY,
        settings.AIGATEWAY_TIMEOUT,
    )
    if key not in _client:
        for stale in _client.values():
            stale.close()
        _client.clear()
        client_class: type[GatewayClient] = import_string(key[0])
        _client[key] = client_class(key[1], key[2], timeout=key[3])
    return _client[key]


def webhook_url_for(take: Take) -> str | None:
    """Each take gets its own URL, so an event identifies its take even when the submit's answer
    was lost and the job id never reached us. The URL holds the take's idempotency key, which
    only the studio and the gateway know, so no one can aim an event at another take."""
    if not (settings.AIGATEWAY_WEBHOOK_SECRET and settings.STUDIO_PUBLIC_URL):
        return None
    return settings.STUDIO_PUBLIC_URL + reverse("gateway_webhook", args=[take.idempotency_key])


def render_times(take: Take) -> polling.RenderTimes:
    """What recent finished takes of this model and duration took at the gateway, as polling
    saw them; the model's other durations help to learn the spread."""
    history = render_history.finished(take.video_model_id)
    own = history.filter(duration=take.duration)[: render_history.RENDER_SAMPLES]
    others = history.exclude(duration=take.duration)[: render_history.RENDER_SAMPLES]
    return render_history.learned_from([*own, *others], take.duration).render_times(
        take.duration, fallback=float(take.video_model.typical_render_seconds)
    )


def poll_intervals() -> polling.Intervals:
    """The poll plan's waits, as the settings have them now."""
    return polling.Intervals(
        floor=poll_floor(),
        near=timedelta(seconds=settings.STUDIO_POLL_NEAR_SECONDS),
        first_poll_grace=timedelta(seconds=settings.STUDIO_POLL_FIRST_GRACE_SECONDS),
        early_max=timedelta(seconds=settings.STUDIO_POLL_EARLY_MAX_SECONDS),
        late_max=timedelta(seconds=settings.STUDIO_POLL_LATE_MAX_SECONDS),
        unlearned_max=timedelta(seconds=settings.STUDIO_POLL_UNLEARNED_MAX_SECONDS),
    )


def webhook_safety_poll() -> timedelta:
    """With webhooks, completion arrives by itself: polling is only a safety net."""
    return timedelta(seconds=settings.STUDIO_WEBHOOK_SAFETY_POLL_SECONDS)


def next_poll_delay(take: Take, now: datetime) -> timedelta:
    if take.submitted_at is None:
        return poll_floor()
    if webhook_url_for(take):
        # The event should come; the first safety poll waits until the job is overdue.
        if take.latest_ready_at and now < take.latest_ready_at:
            return max(take.latest_ready_at - now, poll_floor())
        return webhook_safety_poll()
    return polling.poll_delay(
        submitted_at=take.submitted_at,
        earliest_ready_at=take.earliest_ready_at,
        latest_ready_at=take.latest_ready_at,
        now=now,
        intervals=poll_intervals(),
    )


def submissions_pause(*, reason: str, message: str) -> None:
    try:
        with transaction.atomic():
            SubmitPause.objects.create(reason=reason, message=message)
            pauses_changed()
    except IntegrityError:
        pass  # another worker paused for the same reason first


def take_submit(*, take_id: int, lease: datetime | None = None) -> NextStep | None:
    """Send a pending take to the gateway once; say what to do next, if anything."""
    now = timezone.now()
    if SubmitPause.objects.active().exists():
        # Nothing is sent while paused; resuming sends every waiting take.
        Take.objects.filter(pk=take_id).due(lease, now).transition(
            from_statuses=[TakeStatus.PENDING], next_check_at=None
        )
        return None
    claimed = (
        Take.objects.filter(pk=take_id)
        .due(lease, now)
        .transition(
            from_statuses=[TakeStatus.PENDING],
            status=TakeStatus.SUBMITTING,
            next_check_at=now + claim_lease(),
            updated_at=now,
        )
    )
    if not claimed:
        return None
    take = Take.objects.select_related("video_model").get(pk=take_id)
    submitting = [TakeStatus.SUBMITTING]
    if wait := wait_for_slot("submit"):
        transition(
            take, from_statuses=submitting, status=TakeStatus.PENDING, next_check_at=now + wait
        )
        return NextStep("submit", wait)
    try:
        record = gateway_client().submit(
            model=take.video_model.slug,
            prompt=take.prompt,
            duration=take.duration,
            aspect_ratio=take.aspect_ratio,
            idempotency_key=str(take.idempotency_key),
            webhook_url=webhook_url_for(take),
        )
    except (gw.RateLimited, gw.ServiceUnavailable, gw.GatewayUnreachable) as error:
        # Not processed by the gateway: safe to send again, later.
        if isinstance(error, gw.RateLimited):
            slow_everyone_down(error)
        delay = timedelta(seconds=error.retry_after) if error.retry_after else backoff(take.retries)
        transition(
            take,
            from_statuses=submitting,
            status=TakeStatus.PENDING,
            next_check_at=now + delay,
            retries=take.retries + 1,
        )
        return NextStep("submit", delay, retry=True)
    except gw.OutcomeUnknown as error:
        # The job may exist, and a second one would be a second charge: never resend blindly.
        transition(
            take,
            from_statuses=submitting,
            status=TakeStatus.UNCONFIRMED,
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
        transition(take, from_statuses=submitting, status=TakeStatus.PENDING, next_check_at=None)
        return None
    except gw.InsufficientCredits as error:
        submissions_pause(reason=PauseReason.CREDITS, message=error.message)
        fail(take, code="insufficient_credits", message=error.message, from_statuses=submitting)
        return None
    except gw.NotFound:
        message = f"The gateway does not know the model {take.video_model.slug}."
        fail(take, code="unknown_model", message=message, from_statuses=submitting)
        return None
    except gw.GatewayError as error:
        code = error.error_type or "gateway_error"
        fail(take, code=code, message=error.message, from_statuses=submitting)
        return None
    return _accept(take, record, now)


def _accept(take: Take, record: JobRecord, now: datetime) -> NextStep:
    times = render_times(take)
    take.submitted_at = now
    take.expected_ready_at = now + timedelta(seconds=times.median)
    if times.learned:
        take.earliest_ready_at = now + timedelta(
            seconds=times.first_poll(poll_intervals().first_poll_grace)
        )
        take.latest_ready_at = now + timedelta(seconds=times.percentile(polling.Z_LATE))
    delay = next_poll_delay(take, now)
    transition(
        take,
        from_statuses=[TakeStatus.SUBMITTING],
        gateway_job_id=record.id,
        status=TakeStatus.RUNNING if record.status == JobStatus.RUNNING else TakeStatus.QUEUED,
        submitted_at=now,
        expected_ready_at=take.expected_ready_at,
        earliest_ready_at=take.earliest_ready_at,
        latest_ready_at=take.latest_ready_at,
        next_check_at=now + delay,
        retries=0,
    )
    return NextStep("poll", delay)


def takes_poll(
    *, take_ids: Sequence[int], lease: datetime | None = None
) -> dict[int, NextStep | None]:
    """Ask the gateway about a batch of takes, the requests side by side; say for each take
    polled when to ask again (None when it is done). Takes no longer due (a second delivery, a
    cancel meanwhile) are left out."""
    takes = claim_many(take_ids, statuses=AT_GATEWAY_STATUSES, lease=lease)
    if not takes:
        return {}
    now = timezone.now()
    # When the budget is short, takes that can plausibly be done by now go first.
    takes.sort(key=lambda take: not polling.plausibly_done(take.earliest_ready_at, now))
    granted, wait = request_slots("poll", len(takes))
    sent, held = takes[:granted], takes[granted:]
    answers = _get_jobs([take.gateway_job_id for take in sent])
    steps: dict[int, NextStep | None] = {}
    finished: list[tuple[Take, JobRecord, datetime]] = []
    with transaction.atomic():  # one commit for the batch's writes
        for take in held:
            later = wait if polling.plausibly_done(take.earliest_ready_at, now) else wait * 2
            steps[take.pk] = reschedule(take, "poll", later, AT_GATEWAY_STATUSES)
        for take, (answer, answered_at) in zip(sent, answers, strict=True):
            if isinstance(answer, JobRecord) and answer.status == JobStatus.COMPLETED:
                finished.append((take, answer, answered_at))
            else:
                steps[take.pk] = _settle_poll(take, answer, answered_at)
    # Storing a video means a download (up to AIGATEWAY_MEDIA_DEADLINE_SECONDS) and a poster
    # frame: after the batch's writes, not inside their transaction, one after another. The
    # batch's claim cannot cover them all (two slow downloads outlast it; the rest would be
    # handed out again and downloaded twice), so each store first renews its own take's lease,
    # while it still holds it, and completes the take only if it holds it still. A take whose
    # lease ran out is left to the dispatcher, which hands it out again: the next poll stores
    # it. Renewing, rather than stopping the batch once its lease runs short, lets the first
    # store go however long the batch's requests took (else a slow gateway stores nothing).
    for take, record, answered_at in finished:
        lease = claim_renew(take, statuses=AT_GATEWAY_STATUSES)
        if lease is None:
            continue
        steps[take.pk] = _apply_record(
            take, record, AT_GATEWAY_STATUSES, seen_at=answered_at, lease=lease
        )
    return steps


type PollAnswer = JobRecord | gw.GatewayError | None


def _settle_poll(take: Take, answer: PollAnswer, answered_at: datetime) -> NextStep | None:
    if isinstance(answer, gw.NotFound):
        message = "The gateway no longer knows this job."
        fail(take, code="not_found", message=message, from_statuses=AT_GATEWAY_STATUSES)
        return None
    if isinstance(answer, gw.AuthenticationError):
        submissions_pause(reason=PauseReason.AUTHENTICATION, message=answer.message)
        return reschedule(take, "poll", AUTH_RECHECK, AT_GATEWAY_STATUSES, retry=True)
    if isinstance(answer, gw.GatewayError):
        # Polls are always safe to repeat: wait as long as the gateway asks, or back off.
        if isinstance(answer, gw.RateLimited):
            slow_everyone_down(answer)
        asked = timedelta(seconds=answer.retry_after) if answer.retry_after else None
        delay = max(asked or backoff(take.retries), poll_floor())
        return reschedule(take, "poll", delay, AT_GATEWAY_STATUSES, retry=True)
    if answer is None:  # 304: polled too early, nothing new
        return reschedule(take, "poll", poll_floor(), AT_GATEWAY_STATUSES)
    return _apply_record(take, answer, AT_GATEWAY_STATUSES, seen_at=answered_at)


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
    take: Take,
    record: JobRecord,
    from_statuses,
    *,
    seen_at: datetime | None = None,
    lease: datetime | None = None,
) -> NextStep | None:
    now = seen_at or timezone.now()
    if record.status == JobStatus.COMPLETED:
        # Render times are learned from the interval (last_seen_running_at, done_seen_at];
        # gateway_done_at is the take's own best guess inside it, under its plan: its record
        # (the lag watch reads the interval again, polling.RenderTimes.learn).
        take.done_seen_at = now
        take.gateway_done_at = render_history.likely_done(take, now)
        return take_store_result(take=take, record=record, from_statuses=from_statuses, lease=lease)
    if record.status == JobStatus.FAILED:
        fail(
            take,
            code=record.error_code or "failed",
            message=record.error_message or "The gateway reported the job as failed.",
            from_statuses=from_statuses,
        )
        return None
    if record.status == JobStatus.CANCELLED:
        transition(
            take,
            from_statuses=from_statuses,
            status=TakeStatus.CANCELLED,
            finished_at=now,
            next_check_at=None,
        )
        return None
    status = TakeStatus.RUNNING if record.status == JobStatus.RUNNING else TakeStatus.QUEUED
    delay = next_poll_delay(take, now)
    transition(
        take,
        from_statuses=from_statuses,
        status=status,
        last_seen_running_at=now,
        next_check_at=now + delay,
        retries=0,
    )
    return NextStep("poll", delay)


def take_cancel(*, take_id: int, lease: datetime | None = None) -> NextStep | None:
    take = claim(take_id, statuses=[TakeStatus.CANCELLING], lease=lease)
    if take is None:
        return None
    cancelling = [TakeStatus.CANCELLING]
    if wait := wait_for_slot("cancel"):
        return reschedule(take, "cancel", wait, cancelling)
    try:
        record = gateway_client().cancel(take.gateway_job_id)
    except gw.GatewayError as error:
        if error.retryable:
            delay = (
                timedelta(seconds=error.retry_after) if error.retry_after else backoff(take.retries)
            )
            return reschedule(take, "cancel", delay, cancelling, retry=True)
        # The gateway will not cancel it (already finished, say): follow the job as before.
        transition(
            take, from_statuses=cancelling, status=TakeStatus.RUNNING, next_check_at=timezone.now()
        )
        return NextStep("poll", timedelta(0))
    return _apply_record(take, record, cancelling)
