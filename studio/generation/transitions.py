"""The primitives every step of a take's life is written with: claim the take's step with a
conditional UPDATE and check the row count; write a status change only if the take is still
where the step found it. Views (a click) and worker steps both use them; all of them write
through TakeQuerySet.transition, which refuses a status move that models.MOVES does not list."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Take, TakeStatus

log = logging.getLogger(__name__)


def claim_lease() -> timedelta:
    """How long a handed-out or claimed step is left alone before it is handed out again."""
    return timedelta(seconds=settings.STUDIO_CLAIM_LEASE_SECONDS)


def poll_floor() -> timedelta:
    """The shortest wait between two polls of one job (the gateway answers 304 to faster ones)."""
    return timedelta(seconds=settings.STUDIO_POLL_FLOOR_SECONDS)


@dataclass(frozen=True)
class NextStep:
    """What the worker should do next for a take, and when."""

    action: Literal["submit", "poll", "cancel"]
    after: timedelta
    retry: bool = False  # after an error: the next attempt backs off further


def transition(take: Take, *, from_statuses, only_if: Q | None = None, **fields) -> bool:
    """Write `fields` only if the take is still in one of `from_statuses` (and still matches
    `only_if`, checked by the same UPDATE), and mirror them on `take` if so."""
    fields["updated_at"] = timezone.now()
    takes = Take.objects.filter(pk=take.pk)
    if only_if is not None:
        takes = takes.filter(only_if)
    moved = takes.transition(from_statuses=from_statuses, **fields)
    if moved:
        for name, value in fields.items():
            setattr(take, name, value)
    return bool(moved)


def claim(take_id: int, *, statuses, lease: datetime | None = None) -> Take | None:
    """Take the step for this take if it is due; a second delivery finds it not due."""
    now = timezone.now()
    claimed = Take.objects.filter(pk=take_id).claim(
        statuses=statuses, lease=lease, until=now + claim_lease(), now=now
    )
    if not claimed:
        return None
    return Take.objects.select_related("video_model").get(pk=take_id)


def claim_renew(take: Take, *, statuses) -> datetime | None:
    """Hold the take's step a full lease from now, if it still holds the lease it was claimed
    with and that lease has not run out (one run out may be handed out again at any moment);
    the new lease's end, or None when the step is no longer this worker's."""
    now = timezone.now()
    until = now + claim_lease()
    held = Q(next_check_at=take.next_check_at, next_check_at__gt=now)
    if not transition(take, from_statuses=statuses, only_if=held, next_check_at=until):
        return None
    return until


def claim_many(take_ids: Sequence[int], *, statuses, lease: datetime | None) -> list[Take]:
    """Take the steps of these takes that are due, with one UPDATE; a second delivery finds
    them not due. The claimed rows are read back by the lease they now hold."""
    with transaction.atomic():
        now = timezone.now()
        held_until = now + claim_lease()
        claimed = Take.objects.filter(pk__in=take_ids).claim(
            statuses=statuses, lease=lease, until=held_until, now=now
        )
        if not claimed:
            return []
        takes = list(
            Take.objects.select_related("video_model").filter(
                pk__in=take_ids, status__in=statuses, next_check_at=held_until
            )
        )
    if len(takes) != claimed:
        # Another claim drew the same microsecond: which rows are whose cannot be told, so
        # none is polled here and the leases run out (then they are handed out again).
        log.warning("Two claims held the same lease %s; their takes wait for it", held_until)
        return []
    return takes


def fail(take: Take, *, code: str, message: str, from_statuses, **fields) -> None:
    transition(
        take,
        from_statuses=from_statuses,
        status=TakeStatus.FAILED,
        error_code=code,
        error_message=message,
        finished_at=timezone.now(),
        next_check_at=None,
        **fields,
    )


def reschedule(
    take: Take,
    action: Literal["submit", "poll", "cancel"],
    delay: timedelta,
    statuses,
    *,
    retry: bool = False,
) -> NextStep:
    """Schedule the step again; after an error, one more retry counts towards the backoff."""
    retries = take.retries + 1 if retry else take.retries
    transition(take, from_statuses=statuses, next_check_at=timezone.now() + delay, retries=retries)
    return NextStep(action, delay, retry)
