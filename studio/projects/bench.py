"""The storyboard page and its live updates under load: `python -m studio.projects.bench`.

A throwaway database holds one team of 50 members (every fifth an editor, the rest viewers), a
project and a storyboard of 300 shots with 3 completed takes each, an hour old. The studio is
served over real HTTP in this process (Django's threaded WSGI server, the middleware and session
login as in production, DEBUG off) together with a minimal view that only returns "ok", and
each load shape is run against both, so the ratio says what the studio's own work costs:

- one after another: one member loads the storyboard page N times (as a viewer, then as an
  editor, whose page carries a form per shot and per take);
- paced: every member polls the live endpoint as the page does, every 3 s with the token of
  the previous answer (`?since=`), the pages opened at moments spread over the first interval;
- back-to-back: the same polls, each sent as soon as the previous answer is in, so that all 50
  are in flight at once: what one process can serve, far above the 50 / 3 s that pages ask.

The live rounds run twice: with nothing changing, and with an editor saving a shot every few
answers. Each response carries the number of SQL statements its request ran (X-Bench-Queries,
counted on the serving thread's connection). Timings are judged by a person: the exit status
is non-zero only when something broke (an answer other than 200, a page missing cards).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import django
import httpx
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.utils import timezone

QUERIES_HEADER = "X-Bench-Queries"
TOKEN = re.compile(r'data-token="([0-9.]+)"')
SHOT_CARD = 'class="shot card"'
TAKE_CARD = 'class="take card'
EDITOR_EVERY = 5  # members 1, 6, 11, ... edit; the others only view
PAGE_VIEWER, PAGE_EDITOR = "storyboard page, viewer", "storyboard page, editor"
LIVE, LIVE_CHANGING, MINIMAL = "live", "live, shots edited", "minimal view"
AfterAnswer = Callable[[], Awaitable[None]]  # what a polling member does after each answer


# The world


@dataclass
class World:
    storyboard: str  # its UUID, as the URLs carry it
    shots: int
    takes: int
    shot_ids: list[int]
    editor_id: int
    sessions: list[str]  # one session cookie per member

    @property
    def viewer(self) -> str:
        return self.sessions[0]

    @property
    def editor(self) -> str:
        return self.sessions[1]  # member 1 is the first editor (EDITOR_EVERY)


def build_world(*, shots: int, takes: int, members: int) -> World:
    """The shapes the studio makes: members with roles, shots, completed takes. Everything is
    dated an hour back, so that the live view's first answers carry no change."""
    # Imported here: this module is loaded before django.setup() when run as a script.
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from studio.catalog.models import VideoModel
    from studio.generation.models import Clip, ClipStatus
    from studio.projects.models import Project, Shot, Storyboard
    from studio.teams.models import Membership, Role, Team

    veo = VideoModel.objects.get(slug="google/veo-3.1")
    team = Team.objects.create(name="Bench team")
    users = User.objects.bulk_create(
        # Unusable passwords: sessions are made directly, and hashing 50 would take seconds.
        User(username=f"member-{index:02}", password=make_password(None))
        for index in range(members)
    )
    roles = [Role.EDITOR if index % EDITOR_EVERY == 1 else Role.VIEWER for index in range(members)]
    Membership.objects.bulk_create(
        Membership(team=team, user=user, role=role) for user, role in zip(users, roles, strict=True)
    )
    project = Project.objects.create(
        team=team, name="Bench", budget=Decimal("10000.00"), created_by=users[0]
    )
    storyboard = Storyboard.objects.create(project=project, title="Bench storyboard")
    made = Shot.objects.bulk_create(
        Shot(
            storyboard=storyboard,
            position=position,
            title=f"Shot {position}",
            prompt=f"A lemonade stand at noon, slow dolly in, variation {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=veo,
        )
        for position in range(1, shots + 1)
    )
    Clip.objects.bulk_create(
        Clip(
            shot=shot,
            take_number=number,
            video_model=veo,
            prompt=shot.prompt,
            duration=4,
            aspect_ratio="16:9",
            estimated_cost=veo.cost_for(4),
            billed_cost=veo.cost_for(4),
            status=ClipStatus.COMPLETED,
            resolution="1280x720",
            video_duration=4,
        )
        for shot in made
        for number in range(1, takes + 1)
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Shot.objects.filter(storyboard=storyboard).update(updated_at=an_hour_ago)
    Clip.objects.filter(shot__storyboard=storyboard).update(updated_at=an_hour_ago)
    return World(
        storyboard=str(storyboard.uuid),
        shots=shots,
        takes=takes,
        shot_ids=[shot.pk for shot in made],
        editor_id=users[roles.index(Role.EDITOR)].pk,
        sessions=[log_in(user) for user in users],
    )


def log_in(user) -> str:
    """A session as the login form makes one; its cookie value."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def edit_shot(world: World, number: int) -> None:
    """What Save on a shot's edit form does, through the same service."""
    from django.contrib.auth.models import User

    from studio.projects import services
    from studio.projects.models import Shot

    try:
        shot = Shot.objects.select_related("storyboard__project", "video_model").get(
            pk=world.shot_ids[number % len(world.shot_ids)]
        )
        services.shot_update(
            user=User.objects.get(pk=world.editor_id),
            shot=shot,
            base_version=shot.version,
            prompt=f"{shot.prompt.split(', edit')[0]}, edit {number}",
            duration=shot.duration,
            aspect_ratio=shot.aspect_ratio,
            video_model=shot.video_model,
            title=shot.title,
        )
    finally:
        # Runs in a pool thread: a connection left open there would keep PostgreSQL from
        # dropping the bench's database at the end.
        connection.close()


# Serving


def minimal(request: HttpRequest) -> HttpResponse:
    """The floor: the same server and middleware, no work of the studio's own."""
    return HttpResponse("ok")


def bench_urlconf() -> ModuleType:
    """The studio's URLs plus the minimal view. Made at run time, because including
    studio.urls imports the models, which this module cannot do before django.setup()."""
    from django.urls import include, path

    urls = ModuleType("bench_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/minimal/", minimal),
        path("", include("studio.urls")),
    ]
    return urls


def counting_queries(app: Callable) -> Callable:
    """Adds X-Bench-Queries to each response: the statements its request ran. Django's
    connections are per thread and the server gives each connection its own thread, so the
    wrapper sees this request's statements only. Django calls start_response once the view and
    the middleware are done, so the count is complete by then."""

    def counted(environ, start_response):
        count = 0

        def tally(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, (QUERIES_HEADER, str(count))], exc_info)

        with connection.execute_wrapper(tally):
            return app(environ, start)

    return counted


class QuietHandler(WSGIRequestHandler):
    # wsgiref sends the headers and the body in two writes: with Nagle's algorithm on, the body
    # waits for the client's delayed ACK of the headers, adding 40 ms to every small answer.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        """A line per request would be the bench's main cost."""


class BenchServer(ThreadedWSGIServer):
    # 50 viewers connect at once: with Django's backlog of 10 the kernel drops the extra SYNs,
    # and those connections would start a second or more late.
    request_queue_size = 128


@contextmanager
def serving() -> Iterator[str]:
    """The studio plus the minimal view on 127.0.0.1, in a thread; yields the base URL."""
    # No collectstatic in a throwaway run: plain static URLs instead of the manifest's (one
    # dict lookup per {% static %}), and nothing static is fetched.
    plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        ROOT_URLCONF=bench_urlconf(), STORAGES={**settings.STORAGES, "staticfiles": plain_static}
    ):
        server = BenchServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(counting_queries(WSGIHandler()))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


# Measuring


@dataclass
class Sample:
    """What one target's requests came back with, under one load."""

    name: str
    load: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    shot_cards: list[int] = field(default_factory=list)
    take_cards: list[int] = field(default_factory=list)
    tokens: int = 0  # answers that carried a live token
    edits: int = 0  # shots saved by an editor during the round
    wall: float = 0.0

    def record(self, response: httpx.Response, seconds: float) -> str | None:
        """Keeps the figures of one answer; returns its live token, if it has one."""
        text = response.text
        self.seconds.append(seconds)
        self.statuses.append(response.status_code)
        self.queries.append(int(response.headers.get(QUERIES_HEADER, -1)))
        self.sizes.append(len(response.content))
        self.shot_cards.append(text.count(SHOT_CARD))
        self.take_cards.append(text.count(TAKE_CARD))
        token = TOKEN.search(text)
        self.tokens += token is not None
        return token and token.group(1)


def client(base_url: str, session: str) -> httpx.AsyncClient:
    # trust_env off: a proxy from the environment must not sit between the bench and itself.
    return httpx.AsyncClient(
        base_url=base_url,
        cookies={settings.SESSION_COOKIE_NAME: session},
        timeout=120,
        trust_env=False,
    )


async def timed_get(
    http: httpx.AsyncClient, url: str, sample: Sample, token: str, headers: dict
) -> str:
    started = time.perf_counter()
    response = await http.get(url, params={"since": token} if token else None, headers=headers)
    return sample.record(response, time.perf_counter() - started) or token


async def one_after_another(
    base_url: str, session: str, url: str, sample: Sample, requests: int
) -> None:
    """One person loading the page again and again."""
    async with client(base_url, session) as http:
        await http.get(url)  # warm-up: templates compiled, the connection open
        started = time.perf_counter()
        for _ in range(requests):
            await timed_get(http, url, sample, "", {})
        sample.wall = time.perf_counter() - started


async def polling(
    base_url: str,
    sessions: list[str],
    url: str,
    sample: Sample,
    *,
    polls: int,
    interval: float,
    after_answer: AfterAnswer | None = None,
) -> None:
    """Every member polls as the page does, with the token of their previous answer, every
    `interval` seconds (0: as soon as the answer is in)."""
    # The token a page loaded just now would carry.
    first_token = f"{time.time():.6f}"
    headers = {"HX-Request": "true"}
    loop = asyncio.get_running_loop()

    async def member(http: httpx.AsyncClient, offset: float) -> None:
        token, due = first_token, loop.time() + offset
        for _ in range(polls):
            await asyncio.sleep(max(0.0, due - loop.time()))
            token = await timed_get(http, url, sample, token, headers)
            if after_answer:
                await after_answer()
            # As the page's timer: a poll that fell due while one was out goes when it is back.
            due += interval

    clients = [client(base_url, session) for session in sessions]
    try:
        # Warm-up: every connection open and every member present before the clock starts.
        warm_up = {"since": first_token}
        await asyncio.gather(*(http.get(url, params=warm_up, headers=headers) for http in clients))
        spread = interval / len(clients)
        started = time.perf_counter()
        await asyncio.gather(*(member(http, n * spread) for n, http in enumerate(clients)))
        sample.wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))


def editing_every(world: World, answers: int, sample: Sample) -> AfterAnswer:
    """An editor saves the next shot after every `answers` answers, off the event loop (the
    ORM is synchronous); the member whose answer it was waits for the save, untimed."""
    count = 0

    async def after_answer() -> None:
        nonlocal count
        count += 1
        if count % answers == 0:
            sample.edits += 1
            await asyncio.to_thread(edit_shot, world, sample.edits)

    return after_answer


async def run_targets(
    world: World,
    base_url: str,
    *,
    requests: int,
    polls: int,
    interval: float,
    change_every: int,
) -> list[Sample]:
    """Each target under each load, in the order the table shows them."""
    page_url = f"/storyboards/{world.storyboard}/"
    live_url = f"{page_url}live/"
    minimal_url = "/bench/minimal/"
    one = "1 member, one after another"
    members = len(world.sessions)
    samples = []
    for name, session, url in (
        (PAGE_VIEWER, world.viewer, page_url),
        (PAGE_EDITOR, world.editor, page_url),
        (MINIMAL, world.viewer, minimal_url),
    ):
        samples.append(Sample(name, one))
        await one_after_another(base_url, session, url, samples[-1], requests)
    paced = f"{members} members, every {interval:g} s", interval
    flat_out = f"{members} members, back-to-back", 0.0
    # The rounds without edits first: an edited shot stays news for LIVE_OVERLAP (5 s).
    rounds = [
        (LIVE, live_url, paced),
        (LIVE, live_url, flat_out),
        (LIVE_CHANGING, live_url, paced),
        (LIVE_CHANGING, live_url, flat_out),
        (MINIMAL, minimal_url, paced),
        (MINIMAL, minimal_url, flat_out),
    ]
    for name, url, (load, wait) in rounds:
        sample = Sample(name, load)
        samples.append(sample)
        edits = editing_every(world, change_every, sample) if name == LIVE_CHANGING else None
        await polling(
            base_url, world.sessions, url, sample, polls=polls, interval=wait, after_answer=edits
        )
    return samples


# Reporting


@dataclass
class Row:
    name: str
    load: str
    requests: int
    median_ms: float
    p95_ms: float
    per_second: float
    queries: tuple[int, int]  # fewest and most per request
    kilobytes: float  # per answer, on average
    shots_per_answer: float
    median_ratio: float
    p95_ratio: float


def p95(values: list[float]) -> float:
    """Nearest rank: a time that one request in twenty took or exceeded."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def summarise(samples: list[Sample]) -> list[Row]:
    """Each target's figures, with its times against the minimal view's under the same load."""
    floors = {sample.load: sample for sample in samples if sample.name == MINIMAL}
    rows = []
    for sample in samples:
        floor = floors[sample.load]
        median, high = statistics.median(sample.seconds), p95(sample.seconds)
        rows.append(
            Row(
                name=sample.name,
                load=sample.load,
                requests=len(sample.seconds),
                median_ms=median * 1000,
                p95_ms=high * 1000,
                per_second=len(sample.seconds) / sample.wall,
                queries=(min(sample.queries), max(sample.queries)),
                kilobytes=statistics.mean(sample.sizes) / 1000,
                shots_per_answer=statistics.mean(sample.shot_cards),
                median_ratio=median / statistics.median(floor.seconds),
                p95_ratio=high / p95(floor.seconds),
            )
        )
    return rows


def checks(world: World, samples: list[Sample]) -> list[tuple[str, bool]]:
    """What must hold whatever the timings: the bench's proof that it measured the real thing."""
    pages = [sample for sample in samples if sample.name in (PAGE_VIEWER, PAGE_EDITOR)]
    quiet = [sample for sample in samples if sample.name == LIVE]
    changing = [sample for sample in samples if sample.name == LIVE_CHANGING]
    cards = world.shots, world.shots * world.takes
    return [
        (
            "every answer was 200",
            all(status == 200 for sample in samples for status in sample.statuses),
        ),
        (
            f"every page had {cards[0]} shot cards and {cards[1]} take cards",
            all(
                set(zip(page.shot_cards, page.take_cards, strict=True)) == {cards} for page in pages
            ),
        ),
        (
            "every live answer carried the next token",
            all(sample.tokens == len(sample.statuses) for sample in quiet + changing),
        ),
        (
            "with nothing changing, no live answer carried a shot",
            not any(any(sample.shot_cards) for sample in quiet),
        ),
        (
            f"with shots edited ({sum(sample.edits for sample in changing)} saves),"
            " live answers carried them",
            all(any(sample.shot_cards) for sample in changing if sample.edits),
        ),
    ]


def render(rows: list[Row], results: list[tuple[str, bool]]) -> str:
    lines = [
        "| target | load | requests | median | p95 | req/s | queries/request | KB/answer"
        " | shots/answer | median vs minimal | p95 vs minimal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        fewest, most = row.queries
        queries = f"{fewest}" if fewest == most else f"{fewest}-{most}"
        lines.append(
            f"| {row.name} | {row.load} | {row.requests} | {row.median_ms:.1f} ms"
            f" | {row.p95_ms:.1f} ms | {row.per_second:.1f} | {queries} | {row.kilobytes:,.1f}"
            f" | {row.shots_per_answer:.1f} | {row.median_ratio:.1f}x | {row.p95_ratio:.1f}x |"
        )
    lines.append("")
    lines += [f"{'ok  ' if ok else 'FAIL'} {label}" for label, ok in results]
    return "\n".join(lines)


# Running


def prepare(database_url: str | None) -> Path:
    """Point this process at a throwaway world before Django starts; returns its folder."""
    workdir = Path(tempfile.mkdtemp(prefix="storyboard-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
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
        prog="python -m studio.projects.bench",
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
    workdir = prepare(args.database_url)
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


if __name__ == "__main__":
    sys.exit(main())
