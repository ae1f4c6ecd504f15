"""Workers on two machines: two worker processes, each with a local disk of its own (media,
temporary files), sharing one database, one Redis (the broker and the request budget) and one
object store. Each machine reaches the gateway by a name of its own (127.0.0.1, localhost), so the
simulator can say which one downloaded each video.

Each machine runs beat too, as a process of its own: the documented layout runs one beat for the
whole deployment, and this shows that a second one, started by mistake, is safe. The dispatcher
leases each step with a conditional UPDATE before handing it out, and every gateway request asks
the shared budget first.

The gateway's limit is tight enough that two machines with a budget each would break it: 20
takes need at least 40 requests, and a budget per machine would let each send almost 30 a minute,
twice the gateway's 30 between them."""

import contextlib
import re
from pathlib import Path

import pytest

from studio.generation.models import TakeStatus
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
    celery_beat,
    celery_broker,
    celery_worker,
    machine_environment,
    redis_server,
    worker_environment,
)
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

TAKES = 20
RPM = 30
MACHINES = ("machine-1", "machine-2")
# A gateway step that reached a worker, as its log says at INFO.
STEP_RECEIVED = re.compile(
    rb"Task studio\.generation\.tasks\.(submit_take|poll_takes)\[[^]]+\] received"
)


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


@pytest.mark.django_db(transaction=True)
def test_two_machines_store_each_take_once_in_the_bucket_within_one_budget(
    studio, s3_storage, tmp_path
):
    with (
        redis_server() as redis_url,
        simulator_subprocess(
            queue_seconds=0.2,
            run_seconds=1.0,
            run_seconds_per_video_second=0,
            resolution="160x90",
            rpm=RPM,
        ) as simulator,
    ):
        port = simulator.url.rsplit(":", 1)[1]
        shared = worker_environment(broker_url=redis_url, gateway_url=simulator.url)
        shared.update(s3_storage.env, STUDIO_BUDGET_REDIS_URL=redis_url, AIGATEWAY_RPM=str(RPM))
        hosts = {"machine-1": f"127.0.0.1:{port}", "machine-2": f"localhost:{port}"}
        roots = {name: tmp_path / name for name in MACHINES}
        with contextlib.ExitStack() as machines:
            machines.enter_context(celery_broker(redis_url))
            for name in MACHINES:
                env = machine_environment(shared, roots[name], gateway_url=f"http://{hosts[name]}")
                machines.enter_context(celery_worker(env, beat=False, name=name))
                machines.enter_context(celery_beat(env, name=f"{name}-beat"))  # on both: above
            shots = [
                add_shot(studio, prompt="Two machines: a lemonade pour"),
                add_shot(studio, prompt="Two machines: a lemonade pour", duration=2),
            ]
            ids = [take.pk for take in create_takes(studio, shots, TAKES)]
            wait_until(
                lambda: all(take.status in TERMINAL for take in takes_by_id(ids)),
                seconds=300,
                every=1,
                what=lambda: f"takes: {status_counts(ids)}",
            )
        state = simulator.state()

    print(f"two machines: {state['requests']}, stores by host {state['media_by_host']}")
    takes = takes_by_id(ids)
    assert status_counts(ids) == {TakeStatus.COMPLETED: TAKES}
    # Each accepted once by the gateway, and never over its limit.
    assert_one_job_per_take(state, takes)
    assert state["rate_limited"] == 0
    jobs = {job["id"]: job for job in state["jobs"]}
    for take in takes:
        assert_take_matches_its_job(take, jobs)
    assert_ledger_matches_the_gateway(studio, state, takes)
    # Stored once: each video downloaded once, and the bucket holds a video and a poster per
    # take, nothing more (a second store would have added a name with a suffix).
    assert state["requests"]["media"] == TAKES
    assert s3_storage.keys() == sorted(
        name for take in takes for name in (take.video.name, take.poster.name)
    )
    assert sum(state["media_by_host"].values()) == TAKES
    assert set(state["media_by_host"]) <= set(hosts.values())
    for name, root in roots.items():
        # Nothing of the takes stayed on either machine's own disk.
        assert files_under(root / "media") == [], name
        assert files_under(root / "tmp") == [], name
        # Both machines worked: each took gateway steps from the shared queues, and each one's
        # beat sent its ticks.
        assert STEP_RECEIVED.search((root / f"{name}.log").read_bytes()), name
        assert b"Sending due task" in (root / f"{name}-beat.log").read_bytes(), name
