"""Helpers for the tests that put many takes through real processes: create them, wait for them,
and hold them against what the gateway simulator says happened."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from devtools import launcher, processes
from devtools.processes import wait_for, wait_until_ready
from studio.generation import ledger, services
from studio.generation.models import Take, TakeStatus
from studio.projects.models import Shot

CENT = Decimal("0.01")
TERMINAL = (TakeStatus.COMPLETED, TakeStatus.FAILED, TakeStatus.CANCELLED)


def add_shot(studio, *, prompt: str, duration: int = 1, aspect_ratio: str = "16:9") -> Shot:
    return Shot.objects.create(
        storyboard=studio.storyboard,
        position=Shot.objects.count() + 1,
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        video_model=studio.veo,
    )


def create_takes(studio, shots: list[Shot], count: int) -> list[Take]:
    """`count` takes of the shots in turn, each queued for submit as the Generate button does."""
    studio.project.budget = Decimal("10000.00")
    studio.project.save(update_fields=["budget"])
    return [
        services.take_create(user=studio.bob, shot=shots[number % len(shots)])
        for number in range(count)
    ]


def takes_by_id(ids: Iterable[int]) -> list[Take]:
    return list(Take.objects.filter(pk__in=list(ids)).order_by("pk"))


def wait_until(
    done: Callable[[], bool],
    *,
    seconds: float,
    what: Callable[[], str],
    every: float = 0.5,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """`done` within `seconds`, or an AssertionError that says `what` stands; `meanwhile` runs
    before each look (a person acting while the takes render)."""

    def check() -> bool:
        if meanwhile is not None:
            meanwhile()
        return done()

    if not wait_for(check, timeout=seconds, interval=every):
        raise AssertionError(f"not done after {seconds} s: {what()}")


def status_counts(ids: Iterable[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for take in takes_by_id(ids):
        counts[take.status] = counts.get(take.status, 0) + 1
    return counts


def assert_one_job_per_take(state: dict, takes: list[Take]) -> None:
    """The simulator accepted exactly one job for each take, and none for anything else."""
    assert state["accepted_per_idempotency_key"] == {str(take.idempotency_key): 1 for take in takes}
    assert state["accepted"] == len(takes)


def assert_take_matches_its_job(take: Take, jobs: dict[str, dict]) -> None:
    """The take ends the way the gateway says its job ended, and costs what the gateway billed."""
    job = jobs.get(take.gateway_job_id)
    assert job is not None, f"take {take.pk} ({take.status}) names no job the gateway has"
    assert job["idempotency_key"] == str(take.idempotency_key)
    assert take.status == job["status"], (take.pk, take.error_code, take.error_message)
    if take.status == TakeStatus.COMPLETED:
        assert take.billed_cost == Decimal(job["billed_cents"]) / 100
        assert take.video.storage.exists(take.video.name)
        assert take.poster.storage.exists(take.poster.name)
    elif take.status == TakeStatus.FAILED:
        assert take.error_code == job["error_code"]
        assert take.error_message
    else:
        assert job["billed_cents"] == 0


def assert_ledger_matches_the_gateway(studio, state: dict, takes: list[Take]) -> None:
    """The studio's money, to the cent: what completed takes cost is what the gateway billed,
    on the takes and on the project's page, and nothing is left reserved once all have ended."""
    billed = Decimal(state["billed_cents_total"]) / 100
    spent = sum((c.billed_cost for c in takes if c.status == TakeStatus.COMPLETED), Decimal(0))
    assert spent == billed
    costs, _ = ledger.project_costs(studio.project)
    # To the cent: on SQLite the database's SUM carries float noise (see test_storm.py's
    # test_ledger_sum_is_exact_however_many_takes_it_adds).
    assert costs.spent.quantize(CENT) == billed
    assert costs.reserved == Decimal("0.00")


@contextmanager
def make_run_apps(names: Iterable[str], env: dict[str, str], workdir: Path) -> Iterator[None]:
    """The named apps of `make run` (devtools.launcher.app_commands: the same command lines), with
    the test's environment, each logging to `<name>.log` in `workdir`; stopped at the end."""
    apps = launcher.app_commands(0)
    with contextlib.ExitStack() as stack:
        for name in names:
            app = apps[name]
            log = workdir / f"{name}.log"
            output = stack.enter_context(log.open("wb"))
            child = processes.start(
                app.argv,
                env={**env, **app.env},
                stdout=output,
                stderr=subprocess.STDOUT,
                new_session=True,
            )
            # Last, whatever a stopped worker left running (a pool process, its ffmpeg).
            stack.callback(_kill_group, child.pid)
            stack.callback(processes.stop, child)
            ready = app.ready_when.encode()
            wait_until_ready(
                name, lambda log=log, ready=ready: ready in log.read_bytes(), timeout=60
            )
        yield


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
