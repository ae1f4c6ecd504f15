"""The gateway's webhook events: a view records each verified event once, and a worker applies
it, completing the take at once instead of waiting for its next poll. The signature is checked
in webhooks.py, which needs no Django."""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studio.gateway import JobRecord, JobStatus

from . import render_history
from .models import AT_GATEWAY_STATUSES, Take, TakeStatus, WebhookEvent
from .results import take_store_result
from .transitions import NextStep, claim_lease, reschedule, transition

log = logging.getLogger(__name__)


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
        event = WebhookEvent.objects.select_related("take__video_model").get(pk=event_pk)
        take, data = event.take, event.payload["data"]
        job_id = str(data.get("job_id") or "")
        if take.gateway_job_id and job_id != take.gateway_job_id:
            log.warning("Webhook %s names job %s, not take %s's", event.event_id, job_id, take.uuid)
            return None
        waiting = [*AT_GATEWAY_STATUSES, TakeStatus.UNCONFIRMED, TakeStatus.SUBMITTING]
        now = timezone.now()
        # The check above read the take without a lock: a submit may have committed another
        # job since. The UPDATE itself matches the job, so that job is never overwritten.
        if not transition(
            take,
            from_statuses=waiting,
            only_if=Q(gateway_job_id="") | Q(gateway_job_id=job_id),
            gateway_job_id=job_id,
            status=TakeStatus.RUNNING,
            submitted_at=take.submitted_at or now,
            error_code="",
            error_message="",
            next_check_at=now + claim_lease(),
        ):
            return None  # already settled (a poll got there first) or another job's
    if event.event_type != "job.completed":
        return reschedule(take, "poll", timedelta(0), AT_GATEWAY_STATUSES)
    # The gateway retries a delivery for 24 h: its arrival is only when the studio heard, and
    # the job finished before it, within the second the event's `created` names.
    take.done_seen_at = event.received_at
    done = _done_by_gateway_clock(take, event)
    take.done_seen_by_webhook = done is not None
    take.gateway_done_at = done or render_history.likely_done(take, event.received_at)
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
    return take_store_result(take=take, record=record, from_statuses=[TakeStatus.RUNNING])


def _done_by_gateway_clock(take: Take, event: WebhookEvent) -> datetime | None:
    """The event's `created` (Unix seconds, made as the job finished, the same on every
    retry): the job finished within the second after it. None when it is missing, or outside
    the window the take could have finished in (a clock off by more than that second); the
    take is then learned from the interval (last seen running, arrival], as a poll's."""
    created = event.payload.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        return None
    try:
        done = datetime.fromtimestamp(created, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    earliest = take.last_seen_running_at or take.submitted_at
    if earliest is None or not earliest - timedelta(seconds=1) < done < event.received_at:
        return None
    return max(done, earliest)
