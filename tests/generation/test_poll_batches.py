"""Polls go out in batches: one task claims its takes together, asks the budget once and makes
the requests side by side. A batch delivered twice polls nothing twice, a batch whose worker
died is handed out again once its lease runs out, and no batch sends more than the budget
grants. Against the simulator, with the services the Celery tasks call."""

from datetime import timedelta
from decimal import Decimal
from typing import Literal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generation import dispatch
from studio.generation.models import Take, TakeStatus
from studio.generation.steps import take_submit, takes_poll
from tests.helpers import configure, new_take, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

Action = Literal["submit", "poll", "cancel"]


@pytest.fixture
def gateway(gateway):
    configure(gateway, queue_seconds=60)  # jobs stay queued: a batch sees them all at once
    return gateway


def running_takes(studio, count: int) -> list[Take]:
    """Takes at the gateway (queued there for a minute), each due for a poll now."""
    studio.project.budget = Decimal("1000.00")
    studio.project.save(update_fields=["budget"])
    takes = [new_take(studio) for _ in range(count)]
    for take in takes:
        assert take_submit(take_id=take.pk).action == "poll"
    Take.objects.filter(pk__in=[c.pk for c in takes]).update(next_check_at=timezone.now())
    return takes


def polls(gateway) -> int:
    return sim_state(gateway)["requests"]["poll"]


def test_due_polls_go_in_one_batch_and_a_second_delivery_polls_nothing(gateway, studio):
    takes = running_takes(studio, 5)
    [batch] = dispatch.poll_batches(dispatch.takes_dispatch())
    assert sorted(batch.take_ids) == sorted(c.pk for c in takes)

    # One claim (UPDATE, read back), one write per take, in one transaction.
    with CaptureQueriesContext(connection) as queries:
        steps = takes_poll(take_ids=batch.take_ids, lease=batch.lease)
    assert {pk: step.action for pk, step in steps.items()} == dict.fromkeys(batch.take_ids, "poll")
    assert polls(gateway) == 5
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 + 5

    assert takes_poll(take_ids=batch.take_ids, lease=batch.lease) == {}  # again
    assert polls(gateway) == 5
    for take in Take.objects.filter(pk__in=batch.take_ids):
        assert take.status == TakeStatus.QUEUED
        assert take.next_check_at > timezone.now()  # its next poll, on its own schedule


def test_a_batch_whose_worker_died_is_handed_out_again_once_its_lease_runs_out(
    gateway, studio, settings, monkeypatch
):
    settings.STUDIO_CLAIM_LEASE_SECONDS = 30
    takes = running_takes(studio, 3)
    [lost] = dispatch.poll_batches(dispatch.takes_dispatch())

    def worker_dies(job_ids):
        raise SystemExit("SIGKILL, as near as a test gets: the takes are claimed, not polled")

    with monkeypatch.context() as patched:
        patched.setattr("studio.generation.steps._get_jobs", worker_dies)
        with pytest.raises(SystemExit):
            takes_poll(take_ids=lost.take_ids, lease=lost.lease)
    # The message comes back (acks_late), but the takes are claimed: it does nothing.
    assert takes_poll(take_ids=lost.take_ids, lease=lost.lease) == {}
    assert dispatch.takes_dispatch() == []  # nor are they handed out while the claim holds

    later = timezone.now() + timedelta(seconds=31)
    [again] = dispatch.poll_batches(dispatch.takes_dispatch(now=later))
    assert sorted(again.take_ids) == sorted(c.pk for c in takes)
    assert takes_poll(take_ids=lost.take_ids, lease=lost.lease) == {}  # still void
    assert len(takes_poll(take_ids=again.take_ids, lease=again.lease)) == 3
    assert polls(gateway) == 3


def test_a_batch_sends_no_more_polls_than_the_budget_grants_likely_ones_first(
    gateway, studio, settings, time_machine
):
    takes = running_takes(studio, 8)
    # The clock stands still from here: the held polls wait a fraction of a second for the
    # budget, and on a busy machine that much could pass before the second batch below.
    time_machine.move_to(timezone.now(), tick=False)
    # A budget of 120 RPM (118 with headroom) holds about 2 s of requests, less what polls
    # leave for submits: 3 polls may go at once (the submits above went before it existed).
    settings.AIGATEWAY_RPM = 120
    unlikely = takes[:4]
    Take.objects.filter(pk__in=[c.pk for c in unlikely]).update(
        earliest_ready_at=timezone.now() + timedelta(minutes=2)
    )
    ids = [c.pk for c in takes]

    steps = takes_poll(take_ids=ids)

    assert polls(gateway) == 3 and len(steps) == 8
    # A poll that was answered saw the job queued; the others wait for the budget, and those
    # that cannot be done yet twice as long.
    polled = set(
        Take.objects.filter(pk__in=ids, last_seen_running_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert len(polled) == 3 and not polled & {c.pk for c in unlikely}
    [likely_held] = set(ids[4:]) - polled
    assert all(steps[c.pk].after == steps[likely_held].after * 2 for c in unlikely)
    # Each waits its turn, scheduled: none is lost, none is polled twice.
    assert Take.objects.filter(pk__in=ids, next_check_at__gt=timezone.now()).count() == 8
    assert takes_poll(take_ids=ids) == {}
    assert polls(gateway) == 3


def test_batches_hold_polls_due_close_together_and_go_when_the_last_is_due():
    lease = timezone.now() + timedelta(minutes=2)
    spread = dispatch.poll_batch_spread()

    def step(pk: int, after: timedelta, action: Action = "poll") -> dispatch.Dispatch:
        return dispatch.Dispatch(pk, action, after, lease)

    close = [step(pk, spread * pk / 10) for pk in range(1, 11)]  # all within the spread
    apart = step(11, spread * 3)
    submit = step(12, timedelta(0), "submit")
    many = [step(100 + pk, spread * 5) for pk in range(dispatch.POLL_BATCH + 1)]

    batches = dispatch.poll_batches([apart, submit, *reversed(close), *many])

    assert [b.take_ids for b in batches] == [
        tuple(range(1, 11)),
        (11,),
        tuple(range(100, 100 + dispatch.POLL_BATCH)),
        (100 + dispatch.POLL_BATCH,),
    ]
    assert [b.after for b in batches] == [spread, spread * 3, spread * 5, spread * 5]


def test_the_batch_spread_is_read_from_the_settings_at_each_call(settings):
    lease = timezone.now() + timedelta(minutes=2)
    steps = [dispatch.Dispatch(pk, "poll", timedelta(milliseconds=pk), lease) for pk in (1, 2)]
    assert len(dispatch.poll_batches(steps)) == 1
    settings.STUDIO_POLL_BATCH_SPREAD_SECONDS = 0
    assert len(dispatch.poll_batches(steps)) == 2
