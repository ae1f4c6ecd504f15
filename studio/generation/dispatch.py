"""Handing out the steps falling due (run by beat every second), grouping polls into batches,
and the sweep, the safety net for what nothing would move on."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.utils import timezone

from .budget import BudgetUnavailable, Kind
from .models import AT_GATEWAY_STATUSES, SubmitPause, Take, TakeStatus, WebhookEvent
from .throttle import request_budget
from .transitions import claim_lease

# Each run hands out at most a batch, so one run stays short.
DISPATCH_BATCH = 1000
# Polls are handed out in batches, one task each: its takes claimed with one UPDATE, the budget
# asked once, the requests made side by side on a few threads, the answers written in one
# transaction. One poll at a time, a worker process spent ~10 ms of claims, re-reads, budget
# round trips and a Celery message per poll, and two processes topped out near 200 polls/s.
# A batch holds takes falling due within the spread (poll_batch_spread) of each other and goes
# when the last of them is due (never early: the gateway answers 304 to a poll within 3 s of
# the previous), so a poll is late by at most the spread.
POLL_BATCH = 50


def dispatch_ahead() -> timedelta:
    """The dispatcher runs this often (beat: CELERY_BEAT_SCHEDULE) and hands out the steps due
    before its next run, each with a countdown to its own time: a step is neither late by up to
    a run's interval nor early."""
    return timedelta(seconds=settings.STUDIO_DISPATCH_EVERY_SECONDS)


def poll_batch_spread() -> timedelta:
    return timedelta(seconds=settings.STUDIO_POLL_BATCH_SPREAD_SECONDS)


def sweep_grace() -> timedelta:
    """How late something must be before the sweep calls it stale."""
    return timedelta(seconds=settings.STUDIO_SWEEP_GRACE_SECONDS)


STEP_STATUSES: dict[Kind, tuple[TakeStatus, ...]] = {
    # In this order: a cancel stops spending, a submit starts a take, a poll only notices.
    "cancel": (TakeStatus.CANCELLING,),
    "submit": (TakeStatus.PENDING,),
    "poll": AT_GATEWAY_STATUSES,
}


@dataclass(frozen=True)
class Dispatch:
    """One step handed out: run `action` for the take `after` from now, holding `lease`."""

    take_id: int
    action: Literal["submit", "poll", "cancel"]
    after: timedelta
    lease: datetime


def takes_dispatch(*, now: datetime | None = None) -> list[Dispatch]:
    """Hand out the steps falling due before the dispatcher's next run, oldest first, no more
    than the request budget lets go meanwhile (the rest stay due and go first next time, so no
    take starves). Each is leased with a conditional UPDATE: a step still leased is not handed
    out twice, and one whose lease ran out (its message lost, its worker killed) is again."""
    now = now or timezone.now()
    horizon = now + dispatch_ahead()
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
            Take.objects.filter(status__in=statuses, next_check_at__lte=horizon)
            .order_by("next_check_at")
            .values_list("pk", "next_check_at")[:limit]
        )
        if not due:
            continue
        ids = [pk for pk, _ in due]
        # Only takes still due and in the same state: a click or a worker may have moved one.
        Take.objects.filter(pk__in=ids, next_check_at__lte=horizon).transition(
            from_statuses=statuses, next_check_at=lease, updated_at=now
        )
        leased = set(
            Take.objects.filter(pk__in=ids, next_check_at=lease).values_list("pk", flat=True)
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

    take_ids: tuple[int, ...]
    after: timedelta
    lease: datetime


def poll_batches(steps: Sequence[Dispatch]) -> list[PollBatch]:
    """Group the polls handed out: up to POLL_BATCH takes falling due within the spread of the
    first, sent when the last of them is due."""
    spread = poll_batch_spread()
    batches: list[PollBatch] = []
    group: list[Dispatch] = []
    for step in sorted((step for step in steps if step.action == "poll"), key=lambda s: s.after):
        if group and (
            len(group) == POLL_BATCH
            or step.after - group[0].after > spread
            or step.lease != group[0].lease
        ):
            batches.append(_batch(group))
            group = []
        group.append(step)
    if group:
        batches.append(_batch(group))
    return batches


def _batch(group: list[Dispatch]) -> PollBatch:
    return PollBatch(tuple(step.take_id for step in group), group[-1].after, group[0].lease)


def _budget_room() -> dict[str, int]:
    """How many steps of each kind the shared request budget lets go before the next run."""
    budget = request_budget()
    if budget is None:
        return dict.fromkeys(STEP_STATUSES, DISPATCH_BATCH)
    within = dispatch_ahead().total_seconds()
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


def takes_sweep(*, now: datetime | None = None) -> Sweep:
    """Find what is stale in a state that is not final and move it on. The dispatcher already
    hands out every step whose time (or lease) has passed; this catches the rest."""
    now = now or timezone.now()
    stale = now - sweep_grace()
    # A submit claimed long ago and never finished: the worker died mid-request, so the
    # gateway may hold the job. Say so rather than resend.
    unconfirmed = Take.objects.filter(next_check_at__lte=stale).transition(
        from_statuses=[TakeStatus.SUBMITTING],
        status=TakeStatus.UNCONFIRMED,
        error_code="outcome_unknown",
        error_message="The studio lost track of this submit; the gateway may have accepted it.",
        next_check_at=None,
        updated_at=now,
    )
    # A working take with no next step (an admin edit, a pause lifted by hand): due now.
    unscheduled = [TakeStatus.CANCELLING, *AT_GATEWAY_STATUSES]
    if not SubmitPause.objects.active().exists():
        unscheduled.append(TakeStatus.PENDING)
    rescheduled = Take.objects.filter(next_check_at__isnull=True, updated_at__lte=stale).transition(
        from_statuses=unscheduled, next_check_at=now, updated_at=now
    )
    events = list(
        WebhookEvent.objects.filter(applied_at__isnull=True, received_at__lte=stale)
        .order_by("received_at")
        .values_list("pk", flat=True)[:DISPATCH_BATCH]
    )
    return Sweep(unconfirmed=unconfirmed, rescheduled=rescheduled, webhook_events=events)
