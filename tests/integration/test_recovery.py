"""Crashes in the middle of a run: the worker killed outright, the broker restarted empty.

The database is the source of truth and the worker's beat sweep hands overdue takes back to the
workers, so after either crash every take still ends with its video, and the gateway never sees
a take twice. Nothing in the worker is patched: the timings are the studio's own (a claimed step
is left alone for its lease, and a submit is stale its grace after that) but shortened through
the settings a deployment would use (STUDIO_CLAIM_LEASE_SECONDS, STUDIO_SWEEP_GRACE_SECONDS), so a
take a killed worker had claimed comes back within seconds rather than minutes.
Takes are polled here, as in a studio the gateway cannot reach (no webhooks).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from studio.generation import services
from studio.generation.models import AT_GATEWAY_STATUSES, TakeStatus
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
    RestartableRedis,
    celery_broker,
    killable_workers,
    restartable_redis,
    worker_environment,
)
from tests.simulator_fixtures import SimulatorProcess, simulator_subprocess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Long enough for a gateway call and storing a video, short enough for a test.
CLAIM_LEASE_SECONDS, SWEEP_GRACE_SECONDS, SWEEP_EVERY_SECONDS = 15, 5, 2
# A claimed step comes back after its lease; a half-done submit is swept after the grace, at the
# next sweep; then the takes still have to render.
RECOVERY_SECONDS = CLAIM_LEASE_SECONDS + SWEEP_GRACE_SECONDS + 60


@contextmanager
def studio_services() -> Iterator[tuple[RestartableRedis, SimulatorProcess, dict[str, str]]]:
    """A Redis of the test's own (broker and request budget), the simulator, the worker's env."""
    with (
        restartable_redis() as redis,
        simulator_subprocess(
            queue_seconds=1.0,
            run_seconds=4.0,
            run_seconds_per_video_second=0,
            # Spread like real jobs, so that some finish while others still render: takes
            # submitted together would otherwise all finish within one round of polls.
            run_spread=0.6,
            seed=7,
            resolution="320x180",
            rpm=100_000,
        ) as simulator,
    ):
        env = worker_environment(broker_url=redis.url(0), gateway_url=simulator.url)
        env.update(
            STUDIO_BUDGET_REDIS_URL=redis.url(1),
            STUDIO_CLAIM_LEASE_SECONDS=str(CLAIM_LEASE_SECONDS),
            STUDIO_SWEEP_GRACE_SECONDS=str(SWEEP_GRACE_SECONDS),
            STUDIO_SWEEP_EVERY_SECONDS=str(SWEEP_EVERY_SECONDS),
        )
        with celery_broker(redis.url(0)):
            yield redis, simulator, env


def mid_run(ids: list[int]) -> bool:
    """Some takes done, several still rendering at the gateway."""
    takes = takes_by_id(ids)
    done = sum(take.status == TakeStatus.COMPLETED for take in takes)
    at_gateway = sum(take.status in AT_GATEWAY_STATUSES for take in takes)
    return done >= 3 and at_gateway >= 5


def assert_every_take_completed_once(studio, simulator: SimulatorProcess, ids: list[int]) -> None:
    state = simulator.state()
    takes = takes_by_id(ids)
    assert status_counts(ids) == {TakeStatus.COMPLETED: len(ids)}
    assert_one_job_per_take(state, takes)
    jobs = {job["id"]: job for job in state["jobs"]}
    for take in takes:
        assert_take_matches_its_job(take, jobs)
    assert_ledger_matches_the_gateway(studio, state, takes)


def test_worker_killed_mid_run_loses_no_take_and_sends_none_twice(studio):
    with studio_services() as (_, simulator, env), killable_workers(env, beat=True) as start:
        first = start("first-worker")
        shot = add_shot(studio, prompt="Recovery: a lemonade pour")
        ids = [take.pk for take in create_takes(studio, [shot], 20)]
        wait_until(lambda: mid_run(ids), seconds=60, what=lambda: str(status_counts(ids)))
        # More clicks on Generate, so that submits are under way too when the worker dies.
        ids += [take.pk for take in create_takes(studio, [shot], 10)]
        time.sleep(0.3)
        first.kill()  # SIGKILL: worker, pool children and beat, with their messages unacked
        killed_at = time.monotonic()
        at_kill = status_counts(ids)
        assert at_kill.get(TakeStatus.COMPLETED, 0) < len(ids)
        assert any(status in at_kill for status in AT_GATEWAY_STATUSES), at_kill
        # Clicks while no worker runs wait in Redis for the next one.
        ids += [take.pk for take in create_takes(studio, [shot], 5)]
        start("second-worker")

        wait_until(
            lambda: not any(take.is_active for take in takes_by_id(ids)),
            seconds=RECOVERY_SECONDS,
            every=1,
            what=lambda: f"{status_counts(ids)} (at the kill: {at_kill})",
        )
        recovered_in = time.monotonic() - killed_at
        # A submit the worker died in the middle of may or may not have reached the gateway:
        # the sweep says so rather than resend, and the person checks again (same key).
        unconfirmed = [take for take in takes_by_id(ids) if take.status == TakeStatus.UNCONFIRMED]
        assert len(unconfirmed) <= 2  # one per pool process at most
        for take in unconfirmed:
            assert "lost track of this submit" in take.error_message
            services.take_check_again(user=studio.bob, take=take)
        wait_until(
            lambda: all(take.status in TERMINAL for take in takes_by_id(ids)),
            seconds=60,
            what=lambda: str(status_counts(ids)),
        )
        print(
            f"worker killed at {at_kill}; all ended {recovered_in:.0f} s later, "
            f"{len(unconfirmed)} checked again"
        )
        assert_every_take_completed_once(studio, simulator, ids)


def test_redis_restarted_mid_run_loses_no_take_and_sends_none_twice(studio):
    with studio_services() as (redis, simulator, env), killable_workers(env, beat=True) as start:
        workers = [start("worker")]

        def supervise() -> None:
            # What the deployment's restart policy does (docker-compose.yml: unless-stopped).
            # Celery 5.7 / kombu 5.7 sometimes exit on losing Redis instead of reconnecting
            # ("Unrecoverable error: AttributeError ... 'hostname'" while restoring unacked
            # messages): that worker is started again; any other exit fails the test.
            if workers[-1].exited():
                log = workers[-1].log.read_bytes()
                assert b"Connection to broker lost" in log and b"Unrecoverable error" in log
                workers.append(start(f"worker-restarted-{len(workers)}"))

        shot = add_shot(studio, prompt="Recovery: a lemonade pour")
        ids = [take.pk for take in create_takes(studio, [shot], 30)]
        wait_until(lambda: mid_run(ids), seconds=60, what=lambda: str(status_counts(ids)))
        # The broker dies with everything in it: queued submits, the polls each worker holds
        # for later, the beat's next sweep. Then it comes back, empty, on the same port.
        redis.kill()
        at_crash = status_counts(ids)
        time.sleep(3)
        redis.start()
        restarted_at = time.monotonic()
        # New takes go through the new broker.
        ids += [take.pk for take in create_takes(studio, [shot], 5)]

        try:
            wait_until(
                lambda: all(take.status in TERMINAL for take in takes_by_id(ids)),
                seconds=120,
                every=1,
                meanwhile=supervise,
                what=lambda: f"{status_counts(ids)} (at the crash: {at_crash})",
            )
        except AssertionError:
            for worker in workers:  # what each worker was doing, for whoever reads the failure
                print(f"== {worker.name}: exited {worker.exited()}")
                print(*worker.log.read_text().splitlines()[-80:], sep="\n")
            raise
        took = time.monotonic() - restarted_at
        how = "restarted" if len(workers) > 1 else "reconnected"
        print(f"redis restarted at {at_crash}; worker {how}; all ended {took:.0f} s later")
        assert_every_take_completed_once(studio, simulator, ids)
