"""python -m bench.storyboard: a throwaway database and world, the loads, the table."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django
from django.db import connection

from bench.storyboard.load import run_targets
from bench.storyboard.report import checks, render, summarise
from bench.storyboard.serve import serving
from bench.storyboard.world import EDITOR_EVERY, build_world
from devtools.processes import redis_server


def prepare(database_url: str | None, redis_url: str) -> Path:
    """Point this process at a throwaway world before Django starts; returns its folder.
    `redis_url`: a redis-server of the bench's own, for the cache the page is drawn from (and
    the queue an edit may use): never the machine's, whose keys outlive the run and would be
    read by the next one, whose storyboard has the same primary key."""
    workdir = Path(tempfile.mkdtemp(prefix="storyboard-bench-"))
    base = redis_url.rsplit("/", 1)[0]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        CELERY_BROKER_URL=f"{base}/0",
        STUDIO_BUDGET_REDIS_URL=f"{base}/1",
        STUDIO_CACHE_REDIS_URL=f"{base}/2",
        STUDIO_VAR_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        # DEBUG off, as served: no query log kept per connection, no template debug info.
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    # WhiteNoise looks for collected static files, which a throwaway run has none of.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    return workdir


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A database made and migrated for this run by Django's test-database machinery, and
    dropped afterwards; yields what it is. For SQLite, settings put it in the work folder;
    on PostgreSQL it gets a name of its own, so that neither the database the URL names nor a
    test run's test_<name> is touched."""
    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"studio_bench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        version = ".".join(map(str, connection.get_database_version()))
        yield f"{connection.display_name} {version} ({Path(name).name})"
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storyboard",
        description="The storyboard page and its live updates, against a minimal Django view.",
    )
    parser.add_argument("--shots", type=int, default=300, help="shots on the storyboard")
    parser.add_argument("--takes", type=int, default=3, help="completed takes per shot")
    parser.add_argument(
        "--viewers", type=int, default=50, help="team members, all polling (at least 2)"
    )
    parser.add_argument("--requests", type=int, default=30, help="page loads, one after another")
    parser.add_argument("--polls", type=int, default=20, help="live polls per member and round")
    parser.add_argument(
        "--interval",
        type=float,
        default=3.0,
        help="seconds between a page's polls in the paced rounds (storyboard.js: 3)",
    )
    parser.add_argument(
        "--change-every",
        type=int,
        default=25,
        help="in the rounds with edits, an editor saves a shot after this many answers",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to make the bench's own database on (default: SQLite in a "
        "temporary folder)",
    )
    args = parser.parse_args(argv)
    if args.viewers < 2:
        parser.error("--viewers must be at least 2: one of them edits")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with redis_server() as redis_url:
        return measure(args, redis_url)


def measure(args: argparse.Namespace, redis_url: str) -> int:
    workdir = prepare(args.database_url, redis_url)
    django.setup()
    try:
        with throwaway_database() as database:
            world = build_world(shots=args.shots, takes=args.takes, members=args.viewers)
            with serving() as base_url:
                samples = asyncio.run(
                    run_targets(
                        world,
                        base_url,
                        requests=args.requests,
                        polls=args.polls,
                        interval=args.interval,
                        change_every=args.change_every,
                    )
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = checks(world, samples)
    editors = len(range(1, args.viewers, EDITOR_EVERY))
    load = os.getloadavg()[0]
    print(
        f"{args.shots} shots x {args.takes} takes; {args.viewers} members, {editors} of them"
        f" editors; {database}; {os.cpu_count()} cores, load average {load:.1f} at the end"
    )
    print(
        f"{args.requests} page loads per target; {args.polls} polls per member and round;"
        f" an edit every {args.change_every} answers in the rounds with edits"
    )
    print(render(summarise(samples), results))
    return 0 if all(ok for _, ok in results) else 1
