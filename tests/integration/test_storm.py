"""A storm: two hundred takes through a gateway that fails in every documented way at once,
with a real Celery worker (and its beat sweep) and a live studio receiving the gateway's webhooks.

Nothing inside the studio is faked. What a user would check afterwards is checked: every take
ends the way the gateway says its job ended, no take was charged twice, and the studio's money
agrees with the gateway's bill to the cent.
"""

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from studio.generation import ledger, services
from studio.generation.models import Take, TakeStatus
from tests.factories import take_row
from tests.integration.helpers import (
    TERMINAL,
    add_shot,
    assert_ledger_matches_the_gateway,
    assert_one_job_per_take,
    assert_take_matches_its_job,
    create_takes,
    status_counts,
    takes_by_id,
    wait_until,
)
from tests.live_services import (
    celery_broker,
    celery_worker,
    restartable_redis,
    worker_environment,
)
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [pytest.mark.postgres]

TAKES = 200
SECRET = "whsec-storm-test-secret"
ROUNDS = 5
# Submit faults, one in every three submits (a pass-through `slow=0` between them), so that
# they are spread over the storm instead of all hitting its first takes.
UNKNOWN_NO_JOB = ("submit:500", "submit:drop")  # answer lost before the job was created
UNKNOWN_WITH_JOB = ("submit:500-after", "submit:drop-after")  # the job exists; answer lost
NOT_PROCESSED = ("submit:503", "submit:429")  # safe to send again
PROVIDER_FAILURES = 5
BLOCKED = "fail-marker:content_policy:[blocked]"  # every job whose prompt says [blocked]


def storm_faults() -> list[str]:
    faults = []
    for _ in range(ROUNDS):
        for kind in (*UNKNOWN_NO_JOB, *UNKNOWN_WITH_JOB, *NOT_PROCESSED):
            faults += [kind, "submit:slow=0:2"]
    return [
        *faults,
        *("poll:500", "poll:503", "poll:429", "poll:drop"),
        *("cancel:503", "cancel:drop-after"),
        f"fail:provider_error:{PROVIDER_FAILURES}",
        BLOCKED,
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_storm_of_takes_ends_as_the_gateway_says_charged_once_to_the_cent(
    studio, live_server, settings
):
    started = time.monotonic()
    settings.AIGATEWAY_WEBHOOK_SECRET = SECRET  # the live server, in this process, checks events
    with (
        # A Redis of its own: other test runs on this machine share (and flush) the usual one.
        restartable_redis() as redis,
        simulator_subprocess(
            # Tiny takes, cached renders (one per shot), a few seconds per job: room to cancel.
            queue_seconds=1.0,
            run_seconds=5.0,
            run_seconds_per_video_second=0,
            resolution="320x180",
            rpm=100_000,
            webhook_secret=SECRET,
            faults=storm_faults(),
        ) as simulator,
    ):
        broker_url = redis.url(0)
        env = worker_environment(broker_url=broker_url, gateway_url=simulator.url)
        env.update(
            STUDIO_BUDGET_REDIS_URL=redis.url(1),
            AIGATEWAY_WEBHOOK_SECRET=SECRET,
            STUDIO_PUBLIC_URL=live_server.url,
        )
        with celery_broker(broker_url), celery_worker(env, beat=True):
            shots = [
                add_shot(studio, prompt="Storm: a lemonade pour"),
                add_shot(studio, prompt="Storm: a lemonade pour", duration=2, aspect_ratio="9:16"),
                add_shot(studio, prompt="Storm: a lemonade pour [blocked]"),
                add_shot(studio, prompt="Storm: a lemonade pour, close up"),
            ]
            ids = [take.pk for take in create_takes(studio, shots, TAKES)]
            blocked = [take.pk for take in takes_by_id(ids) if take.shot_id == shots[2].pk]
            to_cancel = set(ids[40::20])  # takes of the first shot, well after the first jobs
            cancel_requested: set[int] = set()

            def cancel_when_at_the_gateway() -> None:
                # A person pressing Cancel on a take while it renders.
                for take in takes_by_id(to_cancel - cancel_requested):
                    if take.status in (TakeStatus.QUEUED, TakeStatus.RUNNING):
                        try:
                            services.take_request_cancel(user=studio.bob, take=take)
                        except ValidationError:
                            continue  # it finished in between
                        cancel_requested.add(take.pk)

            def settled() -> bool:
                # Ended, or unconfirmed with no job at the gateway (so no webhook will come).
                accepted = simulator.state()["accepted_per_idempotency_key"]
                return all(
                    take.status in TERMINAL
                    or (
                        take.status == TakeStatus.UNCONFIRMED
                        and str(take.idempotency_key) not in accepted
                    )
                    for take in takes_by_id(ids)
                )

            wait_until(
                settled,
                seconds=150,
                every=1,
                meanwhile=cancel_when_at_the_gateway,
                what=lambda: f"takes: {status_counts(ids)}",
            )
            storm_seconds = time.monotonic() - started

            # Unconfirmed now: exactly the takes whose submit was lost before the gateway made a
            # job (a 500 or a dropped connection with nothing behind it). The ones whose job did
            # exist were settled by that job's webhook, without anyone resending anything.
            unconfirmed = [
                take for take in takes_by_id(ids) if take.status == TakeStatus.UNCONFIRMED
            ]
            assert len(unconfirmed) == ROUNDS * len(UNKNOWN_NO_JOB)
            assert {take.error_code for take in unconfirmed} == {"outcome_unknown"}
            assert all("may or may not" in take.error_message for take in unconfirmed)
            # A person presses Check again: the same Idempotency-Key, so at most one job each.
            for take in unconfirmed:
                services.take_check_again(user=studio.bob, take=take)
            wait_until(
                lambda: all(take.status in TERMINAL for take in takes_by_id(ids)),
                seconds=60,
                what=lambda: f"takes: {status_counts(ids)}",
            )

        state = simulator.state()

    takes = takes_by_id(ids)
    assert_one_job_per_take(state, takes)
    jobs = {job["id"]: job for job in state["jobs"]}
    for take in takes:
        assert_take_matches_its_job(take, jobs)
    assert_ledger_matches_the_gateway(studio, state, takes)

    counts = status_counts(ids)
    print(
        f"storm: {counts} in {storm_seconds:.0f} s, {time.monotonic() - started:.0f} s in all; "
        f"{len(cancel_requested)} cancels pressed while rendering"
    )
    assert all(Take.objects.get(pk=pk).error_code == "content_policy" for pk in blocked)
    assert counts[TakeStatus.FAILED] == len(blocked) + PROVIDER_FAILURES
    # Every Cancel pressed reached the gateway, and ended as the gateway says (checked above):
    # cancelled, or completed and charged when the cancel came too late. Cancels have a queue
    # of their own, so they do not wait behind the storm's submits and webhooks.
    assert state["requests"]["cancel"] >= len(cancel_requested) > 0
    ended = {Take.objects.get(pk=pk).status for pk in cancel_requested}
    assert ended <= {TakeStatus.CANCELLED, TakeStatus.COMPLETED}
    assert TakeStatus.CANCELLED in ended
    assert counts[TakeStatus.COMPLETED] >= TAKES - len(blocked) - PROVIDER_FAILURES - len(to_cancel)
    # Every counted fault was met (the marker stays for good), and every webhook arrived.
    assert state["faults"] == [{"spec": BLOCKED, "remaining": None}]
    finished = counts[TakeStatus.COMPLETED] + counts[TakeStatus.FAILED]
    assert len(state["webhooks"]) == finished
    assert all(delivery["delivered"] for delivery in state["webhooks"])
    assert Decimal(state["billed_cents_total"]) > 0


@pytest.mark.django_db
def test_ledger_sum_is_exact_however_many_takes_it_adds(studio):
    """The storm's check, without the storm: 199 completed takes of $0.40 are $79.60 spent, and
    one more $0.40 take fits an $80.00 budget exactly."""
    studio.shot.duration = 1
    studio.shot.save()
    now = timezone.now()
    Take.objects.bulk_create(take_row(studio.shot, n, finished=now) for n in range(1, 200))
    studio.project.budget = Decimal("80.00")
    studio.project.save()
    services.take_create(user=studio.bob, shot=studio.shot)  # fits: not refused
    assert ledger.project_costs(studio.project)[0].spent == Decimal("79.60")
