"""Two installs of the studio on one Redis, as two checkouts pointed at one server, or a deployment
sharing a Redis with other apps: each install's keys carry its STUDIO_REDIS_PREFIX, so its
workers take only its own tasks, and every take of each completes.

"Ours" is this test's database with the prefix of its settings; "theirs" is a second SQLite
database, migrated and given a take by processes of its own, with another prefix.
"""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings

from devtools.processes import BASE_DIR
from studio.generation import services
from studio.generation.models import Take, TakeStatus
from tests.integration.helpers import wait_until
from tests.live_services import celery_broker, celery_worker, redis_server, worker_environment
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THEIR_PREFIX = "another-studio"

# Their install's first take, made the way the Generate button makes one.
THEIR_TAKE = """
import django
django.setup()
from decimal import Decimal
from django.contrib.auth.models import User
from studio.catalog.models import VideoModel
from studio.generation import services
from studio.projects.models import Project, Shot, Storyboard
from studio.teams.models import Membership, Role, Team

user = User.objects.create_user("theirs")
team = Team.objects.create(name="Another studio")
Membership.objects.create(team=team, user=user, role=Role.OWNER)
project = Project.objects.create(
    team=team, name="Spring", client="Them", budget=Decimal("100.00"), created_by=user
)
storyboard = Storyboard.objects.create(project=project, title="Teaser")
shot = Shot.objects.create(
    storyboard=storyboard, position=1, prompt="A red kite over the sea", duration=4,
    aspect_ratio="16:9", video_model=VideoModel.objects.get(),
)
print(services.take_create(user=user, shot=shot).pk)
"""


def run(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def their_status(database: Path, take_id: int) -> str:
    with sqlite3.connect(database) as connection:
        # The table keeps the name it had before the model was called Take.
        query = f"SELECT status FROM {Take._meta.db_table} WHERE id = ?"  # noqa: S608
        return connection.execute(query, [take_id]).fetchone()[0]


def test_two_installs_on_one_redis_each_complete_only_their_own_takes(studio, tmp_path):
    with (
        redis_server() as url,
        simulator_subprocess(
            queue_seconds=0.2, run_seconds=0.5, run_seconds_per_video_second=0
        ) as simulator,
    ):
        ours = worker_environment(broker_url=url, gateway_url=simulator.url)
        # The request budget in the shared Redis too, so that its keys are checked as well.
        ours.update(STUDIO_BUDGET_REDIS_URL=url, STUDIO_REDIS_PREFIX=settings.STUDIO_REDIS_PREFIX)
        database = tmp_path / "theirs" / "studio.sqlite3"
        theirs = ours | {
            "STUDIO_REDIS_PREFIX": THEIR_PREFIX,
            "DATABASE_URL": f"sqlite:///{database}",
            "STUDIO_VAR_DIR": str(database.parent),
            "MEDIA_ROOT": str(database.parent / "media"),
        }
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], theirs)
        their_take = int(run([sys.executable, "-c", THEIR_TAKE], theirs))
        shared = redis.Redis.from_url(url)
        their_queue = f"{THEIR_PREFIX}:submits"
        assert shared.llen(their_queue) == 1

        with celery_broker(url), celery_worker(ours, name="ours"):
            our_take = services.take_create(user=studio.bob, shot=studio.shot)
            wait_until(
                lambda: not Take.objects.get(pk=our_take.pk).is_active,
                seconds=90,
                what=lambda: f"our take is {Take.objects.get(pk=our_take.pk).status}",
            )

            # Our worker left their submit alone, with no worker of theirs running.
            assert shared.llen(their_queue) == 1
            assert their_status(database, their_take) == TakeStatus.PENDING

        our_take.refresh_from_db()
        assert our_take.status == TakeStatus.COMPLETED, our_take.error_message

        with celery_worker(theirs, name="theirs"):
            wait_until(
                lambda: their_status(database, their_take) == TakeStatus.COMPLETED,
                seconds=90,
                what=lambda: f"their take is {their_status(database, their_take)}",
            )

        prefixes = (f"{settings.STUDIO_REDIS_PREFIX}:".encode(), f"{THEIR_PREFIX}:".encode())
        keys = shared.keys("*")
        assert any(key.endswith(b"gateway-budget:requests") for key in keys)
        assert [key for key in keys if not key.startswith(prefixes)] == []
