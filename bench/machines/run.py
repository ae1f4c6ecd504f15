"""python -m bench.machines: two worker processes as two machines, each with a local disk of its
own, sharing one PostgreSQL, one Redis (the broker and the request budget) and one object store
(moto's S3 server). N takes (500) are made at once, as "Generate all" would, against the gateway
simulator at 600 RPM; the studio's budget is 600 RPM too, shared by both machines. Job times and
the studio's poll timings are scaled as in the other parts (bench/scale.py, passed to the
workers through their environment); the gateway's 60 s window is real time, so the run is bound
by the budget, as part 3 is.

Beat runs on the first machine only (--beats 2: on both, which is safe, and costs a dispatcher
run per machine per tick). Machine 1 reaches the gateway as 127.0.0.1, machine 2 as localhost, so
that the simulator can tell which one downloaded each video.

Exits 1 when a check fails."""

import argparse
import contextlib
import os
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

import psycopg
from django.conf import settings

from bench import env
from bench.jobs import DEFAULT_SCALE, job_times
from bench.machines.report import Check, MachineRun, Run, checks, render
from bench.machines.services import (
    Machine,
    bucket_keys,
    files_on,
    machine,
    object_store,
)
from bench.scale import TIMINGS
from bench.services import Simulator, simulator

RPM = 600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.machines", description=__doc__)
    parser.add_argument("--takes", type=int, default=500)
    parser.add_argument("--rpm", type=int, default=RPM, help="the gateway's limit and the budget")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_SCALE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--beats", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="pool processes per machine's worker"
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server to make the bench's own database on (dropped afterwards)",
    )
    parser.add_argument("--seconds", type=float, default=900.0, help="a bound on the run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not database_answers(args.database_url):
        print(
            f"No PostgreSQL answers at {args.database_url}: start one, or name another with "
            "--database-url (sqlite:///PATH works too).",
            file=sys.stderr,
        )
        return 2
    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files
    with (
        env.prepared(rpm=args.rpm, keep=args.keep) as workdir,
        object_store(workdir) as store,
        simulator(workdir, rpm=args.rpm, **job_times(args.time_scale, args.seed)) as sim,
    ):
        os.environ.update(
            store,
            DATABASE_URL=args.database_url,
            AIGATEWAY_BASE_URL=sim.url,
            # The bench process only makes takes: nothing of theirs is stored here.
            MEDIA_ROOT=str(workdir / "bench-media"),
        )
        import django

        django.setup()
        from bench.storyboard.run import throwaway_database

        with throwaway_database() as database:
            print(f"machines bench: {os.cpu_count()} cores, {database}, work folder {workdir}")
            run, results = measure(args, sim, workdir)
    print(render(run, results))
    print("load average at the end: " + " ".join(f"{load:.1f}" for load in os.getloadavg()))
    return 0 if all(ok for _, _, ok in results) else 1


def database_answers(url: str) -> bool:
    if not url.startswith("postgres"):
        return True
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def database_url() -> str:
    """The throwaway database, for the workers (this process's connection names it)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def measure(args: argparse.Namespace, sim: Simulator, workdir: Path) -> tuple[Run, list[Check]]:
    from bench import world as w

    # The workers' timings, scaled; read from their environment as settings.py reads them.
    scaled = {name: str(getattr(settings, name) * args.time_scale) for name in TIMINGS}
    shared = {**os.environ, **scaled, "DATABASE_URL": database_url()}
    port = sim.url.rsplit(":", 1)[1]
    names = {"machine-1": sim.url, "machine-2": f"http://localhost:{port}"}
    with contextlib.ExitStack() as stack:
        machines = [
            stack.enter_context(
                machine(
                    name,
                    workdir / name,
                    shared,
                    gateway_url=url,
                    beat=number <= args.beats,
                    concurrency=args.concurrency,
                )
            )
            for number, (name, url) in enumerate(names.items(), start=1)
        ]
        cpu_before = {m.name: m.cpu_seconds() for m in machines}
        studio = w.build("machines")
        started = time.monotonic()
        ids = w.create_takes(studio, args.takes, over_seconds=0, deadline=started + args.seconds)
        print(f"  {len(ids)} takes made in {time.monotonic() - started:.0f} s")
        wait_settled(sim, ids, started=started, deadline=started + args.seconds)
        seconds = time.monotonic() - started
        usage = {m.name: (m.cpu_seconds() - cpu_before[m.name], m.rss_kib()) for m in machines}
    run = outcome(
        args,
        sim.state(),
        ids,
        studio.shots[0].storyboard.project,
        seconds=seconds,
        machines=[(m, *usage[m.name]) for m in machines],
    )
    return run, checks(run)


def wait_settled(sim: Simulator, ids: list[int], *, started: float, deadline: float) -> None:
    """Until no take is active (or the deadline), saying how far they are every 20 s."""
    from bench import world as w

    report_at = 0.0
    while (left := w.active_count(ids)) and time.monotonic() < deadline:
        if time.monotonic() >= report_at:
            requests = sim.state()["requests"]
            print(
                f"  {time.monotonic() - started:4.0f} s: {left} takes active, "
                f"{requests['submit']} submits, {requests['poll']} polls"
            )
            report_at = time.monotonic() + 20
        time.sleep(1)


def outcome(
    args: argparse.Namespace,
    state: dict,
    ids: list[int],
    project,
    *,
    seconds: float,
    machines: list[tuple[Machine, float, int]],
) -> Run:
    """What the run did, from the simulator's state, the database and the bucket; `machines`
    with the CPU seconds and KiB of memory each used."""
    from studio.generation import ledger
    from studio.generation.models import Take, TakeStatus

    takes = list(Take.objects.filter(pk__in=ids))
    costs, _ = ledger.project_costs(project)
    requests = state["requests"]
    return Run(
        takes=len(ids),
        completed=sum(take.status == TakeStatus.COMPLETED for take in takes),
        seconds=seconds,
        rpm=args.rpm,
        calls=requests["submit"] + requests["poll"] + requests["cancel"],
        accepted=state["accepted"],
        accepted_per_key=state["accepted_per_idempotency_key"],
        idempotency_keys=[str(take.idempotency_key) for take in takes],
        rate_limited=state["rate_limited"],
        window_peak=state["rate_window_peak"],
        downloads=requests["media"],
        bucket_keys=bucket_keys(os.environ["STUDIO_S3_ENDPOINT_URL"]),
        take_files=[name for take in takes for name in (take.video.name, take.poster.name)],
        spent=costs.spent,
        reserved=costs.reserved,
        billed=(Decimal(state["billed_cents_total"]) / 100).quantize(Decimal("0.01")),
        machines=[
            MachineRun(
                name=m.name,
                beat=m.beat,
                stores=state["media_by_host"].get(m.host, 0),
                cpu_seconds=cpu,
                rss_mib=kib / 1024,
                local_files=len(files_on(m.disk)),
            )
            for m, cpu, kib in machines
        ],
    )
