"""Named people, as in every test of who may see what: Alice owns the team, Bob edits in it,
Rita reviews, Vera only views, and Oscar is an outsider with a team of his own."""

import contextlib
import importlib
import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from django.contrib.auth.models import User

from studio.cache_settings import cache_settings, session_engine
from studio.catalog.models import VideoModel
from studio.generation import pauses
from studio.generation.models import Take
from studio.playlists.models import Playlist
from studio.projects import live
from studio.projects.models import Project, Shot, Storyboard
from studio.teams.models import Role, Team
from tests.factories import make_playlist, make_shot, make_take, make_user
from tests.live_services import redis_server
from tests.object_store import s3_server, s3_storage  # noqa: F401
from tests.simulator_fixtures import gateway_client, simulator, simulator_config  # noqa: F401
from tests.urls_table import build_world

# The catalog row the data migration seeds: transactional tests (worker, browser) flush the
# database afterwards, so the fixture puts it back from the same source.
VEO_3_1 = importlib.import_module("studio.catalog.migrations.0002_veo_3_1").VEO_3_1


@dataclass
class Studio:
    alice: User
    bob: User
    rita: User
    vera: User
    oscar: User
    team: Team
    project: Project
    storyboard: Storyboard
    shot: Shot
    veo: VideoModel


@pytest.fixture
def veo(db) -> VideoModel:
    return VideoModel.objects.get_or_create(slug=VEO_3_1["slug"], defaults=VEO_3_1)[0]


@pytest.fixture
def studio(veo) -> Studio:
    team = Team.objects.create(name="Acme Creative")
    outsiders = Team.objects.create(name="Oscar's studio", is_personal=True)
    alice = make_user("alice", team, Role.OWNER)
    project = Project.objects.create(
        team=team,
        name="Summer launch",
        client="Lemonade Co",
        budget=Decimal("100.00"),
        created_by=alice,
    )
    storyboard = Storyboard.objects.create(project=project, title="Hero spot")
    shot = Shot.objects.create(
        storyboard=storyboard,
        position=1,
        prompt="A drone shot of a mountain lake at golden hour",
        duration=4,
        aspect_ratio="16:9",
        video_model=veo,
    )
    return Studio(
        alice=alice,
        bob=make_user("bob", team, Role.EDITOR),
        rita=make_user("rita", team, Role.REVIEWER),
        vera=make_user("vera", team, Role.VIEWER),
        oscar=make_user("oscar", outsiders, Role.OWNER),
        team=team,
        project=project,
        storyboard=storyboard,
        shot=shot,
        veo=veo,
    )


@pytest.fixture
def shots(studio) -> list[Shot]:
    """The studio's shot and two more after it."""
    more = [make_shot(studio.storyboard, n, video_model=studio.veo) for n in (2, 3)]
    return [studio.shot, *more]


@pytest.fixture
def takes(shots) -> list[Take]:
    """A finished take of each shot."""
    return [make_take(shot) for shot in shots]


@pytest.fixture
def playlist(studio) -> Playlist:
    return make_playlist(studio.project)


@pytest.fixture
def second_storyboard(studio) -> Storyboard:
    storyboard = Storyboard.objects.create(project=studio.project, title="Teaser")
    make_shot(storyboard, 1, video_model=studio.veo, prompt="A glass of lemonade on a sunny table")
    return storyboard


@pytest.fixture
def world(studio) -> dict:
    """One of every object a URL names, for the walks of tests/urls_table.py's routes."""
    return build_world(studio)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Five users a test: the real hasher's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        help="run with the clock moved to INSTANT, ISO 8601 with an offset "
        "(2026-03-29T00:30:00+00:00): a sweep for tests that depend on the hour or the date",
    )


def start_clock(config: pytest.Config) -> None:
    """`pytest --clock=2026-03-29T00:30:00+00:00 -m "not integration and not e2e"` moves the
    test process's clock to that instant for the whole session (time-machine, ticking on from
    there), to find tests that pass only at some hours or on some dates: run it just after
    midnight, just before noon, at New Year, on Feb 29, on a DST change, on the first of a
    month. Each pytest-xdist worker moves its own clock (the option reaches the workers). The
    Celery worker, the simulator and the browser keep the machine's clock, so the tests that
    start them are skipped."""
    value = config.getoption("clock", None)
    if not value:
        return
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise pytest.UsageError(f"--clock: {error}") from None
    if instant.tzinfo is None:
        raise pytest.UsageError("--clock needs an offset, e.g. 2026-03-29T00:30:00+00:00")
    traveller = time_machine.travel(instant, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("clock", None):
        skip = pytest.mark.skip(reason="--clock moves only the test process's clock")
        for item in items:
            if item.get_closest_marker("integration") or item.get_closest_marker("e2e"):
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """A failing live test carries the end of every log its processes wrote (a worker's, beat's,
    the simulator's) in its report: what they did is what explains a take that never moved."""
    report = yield
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if report.failed and report.when == "call" and tmp_path is not None:
        for log in sorted(Path(tmp_path).rglob("*.log")):
            report.sections.append(
                (f"the last of {log.name}", log.read_text(errors="replace")[-8000:])
            )
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Every test process gets a redis-server of its own for the queue and the request budget:
    two runs of the suite at once, or another program's Redis on 6379, never see each other's
    keys or flushes. Settings were read before this runs, so they are pointed at it here (and
    the environment, which Celery and the worker processes read)."""
    start_clock(config)
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        return  # pytest-xdist's controller runs no test; each of its workers has its own
    stack = contextlib.ExitStack()
    config.add_cleanup(stack.close)
    base = stack.enter_context(redis_server()).rsplit("/", 1)[0]
    urls = {
        "CELERY_BROKER_URL": f"{base}/0",
        "STUDIO_BUDGET_REDIS_URL": f"{base}/1",
        "TEST_BUDGET_REDIS_URL": f"{base}/2",
        "STUDIO_CACHE_REDIS_URL": f"{base}/3",
    }
    os.environ.update(urls)
    settings.CELERY_BROKER_URL = urls["CELERY_BROKER_URL"]
    settings.STUDIO_BUDGET_REDIS_URL = urls["STUDIO_BUDGET_REDIS_URL"]
    settings.CACHES = cache_settings(urls["STUDIO_CACHE_REDIS_URL"], settings.STUDIO_REDIS_PREFIX)
    settings.SESSION_ENGINE = session_engine(urls["STUDIO_CACHE_REDIS_URL"])


@pytest.fixture(autouse=True)
def fresh_redis(settings):
    """Each test starts with the whole gateway budget (a 429 in one test pauses only that one)
    and an empty test queue (nothing left over from another test's takes)."""
    for url in (
        settings.STUDIO_BUDGET_REDIS_URL,
        settings.CELERY_BROKER_URL,
        settings.CACHES["default"]["LOCATION"],
    ):
        with redis.Redis.from_url(url) as client:
            client.flushdb()


@pytest.fixture(autouse=True)
def live_polls_read_the_board(monkeypatch):
    """Every live poll reads the board's pulse: in production it is read once a second
    (live.PULSE_SECONDS), and whether a test's poll right after a change saw it would depend on
    how fast the machine is. tests/projects/test_live.py tests the second itself."""
    monkeypatch.setattr(live, "PULSE_SECONDS", 0)


@pytest.fixture(autouse=True)
def pages_read_the_pauses(monkeypatch):
    """Every page reads which pauses hold submissions: in production they are kept a few
    seconds (pauses.PAUSES_SECONDS), and a query count would otherwise depend on how long ago
    the test's previous request was. tests/generation/test_pauses.py tests the keeping."""
    monkeypatch.setattr(pauses, "PAUSES_SECONDS", 0)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
