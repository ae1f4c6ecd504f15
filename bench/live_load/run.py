"""python -m bench.live_load: a throwaway world, gunicorn and Redis of its own, Locust's steps."""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import secrets
import shutil
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import httpx
import redis

from bench.live_load.report import Step, checks, read_stats, render
from bench.live_load.serve import configured, cpu_seconds, gunicorn, tree_cpu_seconds
from devtools.processes import redis_server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST = Path(sys.executable).with_name("locust")
POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
TOKEN_ATTRIBUTE = 'data-token="'  # noqa: S105 (an HTML attribute, not a password)


@dataclass
class Load:
    name: str
    pacing: float  # seconds between a member's polls; 0: back-to-back
    seconds: int


def loads(members: int, interval: float, seconds: int, step_seconds: int, faster: list[float]):
    """The paced load the pages make, then the same members polling `faster` times as often,
    then back-to-back: the steps that find where the p95 gives."""
    yield Load(f"{members} members, every {interval:g} s", interval, seconds)
    for times in faster:
        yield Load(
            f"{members} members, every {interval / times:.2g} s", interval / times, step_seconds
        )
    yield Load(f"{members} members, back-to-back", 0.0, step_seconds)


def database_url(url: str, name: str) -> str:
    """The URL of the throwaway database made next to the one `url` names."""
    if url.startswith("sqlite"):
        return f"sqlite:///{name}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def world_file(world, workdir: Path) -> Path:
    """What the locustfile needs: the storyboard, a session per member, the shots to edit."""
    from django.conf import settings

    from studio.projects.models import Shot

    shots = Shot.objects.filter(pk__in=world.shot_ids).order_by("position")
    fields = ("title", "prompt", "duration", "aspect_ratio", "video_model_id", "notes")
    data = {
        "storyboard": world.storyboard,
        "sessions": world.sessions,
        "editor_session": world.editor,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        # A CSRF secret as the cookie holds one; htmx sends the page's token in a header.
        "csrf": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)),
        "shots": [
            {
                "pk": shot.pk,
                "uuid": str(shot.uuid),
                "fields": {name.removesuffix("_id"): getattr(shot, name) for name in fields},
            }
            for shot in shots
        ],
    }
    path = workdir / "world.json"
    path.write_text(json.dumps(data))
    return path


def page_token(base_url: str, world: dict) -> str:
    """The live token the storyboard page hands a member who opens it now."""
    cookie = {"Cookie": f"{world['session_cookie']}={world['sessions'][0]}"}
    page = httpx.get(
        f"{base_url}/storyboards/{world['storyboard']}/",
        headers=cookie,
        timeout=60,
        trust_env=False,
    )
    page.raise_for_status()
    return page.text.split(TOKEN_ATTRIBUTE, 1)[1].split('"', 1)[0]


def postgres_backends() -> list[int]:
    """The server processes serving the bench's database (gunicorn's connections), not this
    process's own."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def backends_cpu_seconds() -> dict[int, float]:
    """Each backend's CPU time so far, by pid."""
    return {pid: cpu_seconds(pid) for pid in postgres_backends()}


def spent_by_backends(before: dict[int, float], after: dict[int, float]) -> float:
    """What the backends spent between two readings: one opened meanwhile counts from zero; one
    that closed meanwhile is lost (the bench keeps them open: --conn-max-age)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def drawn_answers(redis_url: str) -> list[bytes]:
    """The live answers in the cache (studio/projects/live.py keeps each for a minute): one
    per drawing, whoever it was sent to."""
    with redis.Redis.from_url(redis_url) as client:
        return list(client.scan_iter(match="*:live:answer:*", count=1000))


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(
    load: Load, *, base_url: str, members: int, env: dict, workdir: Path, server: dict
) -> Step:
    """One Locust run; the CPU each side spent meanwhile."""
    prefix = workdir / "-".join(["step", *load.name.replace(".", "_").split()])
    tally = workdir / "tally.json"
    tally.unlink(missing_ok=True)
    # The members open their pages now: the token the page hands them, as of now.
    world_path = Path(env["LIVE_LOAD_WORLD"])
    world = json.loads(world_path.read_text())
    world_path.write_text(json.dumps({**world, "token": page_token(base_url, world)}))
    env = {
        **env,
        "LIVE_LOAD_PACING": str(load.pacing),
        "LIVE_LOAD_TALLY": str(tally),
    }
    # Members open their pages spread over one interval, as people do; back-to-back all at once.
    spawn_rate = members / load.pacing if load.pacing else members
    argv = [
        str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
        "-u", str(members + 1), "-r", f"{spawn_rate:g}", "-t", f"{load.seconds}s",
        "--reset-stats", "--only-summary", "--csv", str(prefix), "--loglevel", "WARNING",
    ]  # fmt: skip
    drawn_before = set(drawn_answers(server["redis_url"]))
    backends = backends_cpu_seconds()
    before = {
        "gunicorn": tree_cpu_seconds(server["gunicorn"]),
        "Redis": cpu_seconds(server["Redis"]),
        "Locust": children_cpu_seconds(),
    }
    log = workdir / "locust.log"
    with log.open("ab") as output:
        subprocess.run(argv, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
    after = {
        "gunicorn": tree_cpu_seconds(server["gunicorn"]),
        "Redis": cpu_seconds(server["Redis"]),
        "Locust": children_cpu_seconds(),
    }
    cpu = {who: after[who] - before[who] for who in after}
    cpu["PostgreSQL"] = spent_by_backends(backends, backends_cpu_seconds())
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"Locust wrote no statistics:\n{log.read_text()[-3000:]}")
    return Step(
        name=load.name,
        offered=members / load.pacing if load.pacing else 0.0,
        endpoints=read_stats(stats),
        cpu=cpu,
        tally=json.loads(tally.read_text()) if tally.exists() else {},
        drawn=len(set(drawn_answers(server["redis_url"])) - drawn_before),
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live_load",
        description="200 members live on one storyboard, served by gunicorn as configured,"
        " driven by Locust.",
    )
    parser.add_argument("--shots", type=int, default=300, help="shots on the storyboard")
    parser.add_argument("--takes", type=int, default=3, help="completed takes per shot")
    parser.add_argument("--members", type=int, default=200, help="team members, all polling")
    parser.add_argument("--interval", type=float, default=3.0, help="storyboard.js: 3 s")
    parser.add_argument("--edit-every", type=float, default=1.5, help="seconds between saves")
    parser.add_argument("--seconds", type=int, default=60, help="the paced step's length")
    parser.add_argument("--step-seconds", type=int, default=20, help="each faster step's length")
    parser.add_argument(
        "--faster",
        default="2,3,4,6",
        help="the steps after the paced one: members polling this many times as often",
    )
    parser.add_argument(
        "--p95-limit-ms", type=float, default=250, help="the p95 a step must keep to count"
    )
    parser.add_argument(
        "--conn-max-age",
        default="900",
        help="DATABASE_CONN_MAX_AGE for gunicorn: each thread keeps its connection for the"
        " whole run (a backend that closes during a step takes its CPU time with it)",
    )
    parser.add_argument(
        "--database-url",
        default=POSTGRES,
        help=f"the database server to make the bench's own database on (default {POSTGRES})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # One redis-server of the bench's own, for this process (prepare points its settings at it)
    # and for gunicorn's cache: never the machine's.
    with redis_server() as redis_url:
        return measure(args, redis_url)


def measure(args: argparse.Namespace, redis_url: str) -> int:
    from bench.storyboard.run import prepare, throwaway_database
    from bench.storyboard.world import EDITOR_EVERY, build_world

    workdir = prepare(args.database_url, redis_url)
    django.setup()
    from django.db import connection

    try:
        with throwaway_database() as database:
            world = build_world(shots=args.shots, takes=args.takes, members=args.members)
            world_path = world_file(world, workdir)
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.live_load.settings",
                "DATABASE_URL": database_url(args.database_url, connection.settings_dict["NAME"]),
                "DATABASE_CONN_MAX_AGE": args.conn_max_age,
                "STUDIO_CACHE_REDIS_URL": redis_url,
                "REDIS_URL": redis_url,
                "LIVE_LOAD_WORLD": str(world_path),
                "LIVE_LOAD_EDIT_PACING": str(args.edit_every),
            }
            with gunicorn(env, workdir / "gunicorn.log") as (base_url, pid):
                server = {
                    "redis_url": redis_url,
                    "gunicorn": pid,
                    "Redis": int(redis.Redis.from_url(redis_url).info("server")["process_id"]),
                }
                faster = [float(each) for each in args.faster.split(",") if each]
                # Unmeasured: every worker has compiled its templates and opened its
                # connections, and every member is present and holds a token of the board.
                warm_up = Load("warm-up", args.interval, math.ceil(args.interval) + 3)
                run_step(
                    warm_up, base_url=base_url, members=args.members, env=env,
                    workdir=workdir, server=server,
                )  # fmt: skip
                steps = [
                    run_step(
                        load,
                        base_url=base_url,
                        members=args.members,
                        env=env,
                        workdir=workdir,
                        server=server,
                    )
                    for load in loads(
                        args.members, args.interval, args.seconds, args.step_seconds, faster
                    )
                ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = checks(steps)
    workers, threads = configured()
    cores = os.cpu_count() or 1
    target = args.members / args.interval
    print(
        f"{args.shots} shots x {args.takes} takes; {args.members} members"
        f" ({len(range(1, args.members, EDITOR_EVERY))} editors), one of whom saves a shot every"
        f" {args.edit_every:g} s; {database}; gunicorn.conf.py: {workers} workers"
        f" x {threads} threads; {cores} cores shared by gunicorn, PostgreSQL, Redis and Locust;"
        f" load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(render(steps, results, cores=cores, target=target, p95_limit_ms=args.p95_limit_ms))
    return 0 if all(ok for _, ok in results) else 1
