"""Exports do not starve takes: `make run`'s workers (the same command lines) with three long
exports running, and a take still completes about as fast as one made before them.

Exports go to a queue of their own with a worker of their own (one at a time); the takes'
worker, which runs the dispatcher every second, never takes them. Before, both shared the
takes' two processes: with exports running, dispatcher ticks expired unrun and a take waited.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files import File

from devtools.simulator.video import VideoRenderer
from studio.generation import services
from studio.generation.models import Take, TakeStatus
from studio.playlists import services as playlists
from studio.playlists.models import Export, ExportStatus, Playlist, PlaylistItem
from tests.factories import make_take
from tests.integration.helpers import make_run_apps, wait_until
from tests.live_services import celery_broker, redis_server, worker_environment
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXPORTS = 3
ITEMS = 96  # of 2 s at 1280x720, trimmed so that each is re-encoded: a long export
# The take made while exports run may take this many times as long as the one before them:
# generous for a machine the exports keep busy, far short of waiting behind an export.
RATIO = 3


def take_seconds(studio) -> timedelta:
    take = services.take_create(user=studio.bob, shot=studio.shot)

    def done() -> bool:
        take.refresh_from_db()
        return not take.is_active

    wait_until(done, seconds=120, what=lambda: f"take still {take.status}")
    assert take.status == TakeStatus.COMPLETED, take.error_message
    assert take.finished_at is not None
    return take.finished_at - take.created_at


def long_playlists(studio, tmp_path: Path) -> list:
    """Playlists of many trimmed items, all the same rendered clip (rendered once)."""
    renders = tmp_path / "renders"
    renders.mkdir()
    renderer = VideoRenderer(renders)
    try:
        clip = renderer.render(prompt="Long export", duration=2, width=1280, height=720)
        path = clip.result(timeout=120)
    finally:
        renderer.close()
    source = make_take(studio.shot, ratio="16:9", length=2)
    source.resolution = "1280x720"
    with path.open("rb") as handle:
        source.video.save("take.mp4", File(handle))
    found = []
    for number in range(EXPORTS):
        playlist = Playlist.objects.create(project=studio.project, name=f"Long {number}")
        PlaylistItem.objects.bulk_create(
            PlaylistItem(playlist=playlist, take=source, position=position, trim_in=Decimal("0.1"))
            for position in range(1, ITEMS + 1)
        )
        found.append(playlist)
    return found


def dispatcher_ticks_dropped(log: Path) -> int:
    """Beat's dispatcher messages that waited past their expiry: the worker logs each it drops."""
    line = b"Discarding revoked task: studio.generation.tasks.dispatch_due_steps"
    return log.read_bytes().count(line)


def test_a_take_completes_on_time_while_long_exports_run(studio, tmp_path):
    studio.project.budget = Decimal("1000.00")
    studio.project.save(update_fields=["budget"])
    studio.shot.duration = 1
    studio.shot.save(update_fields=["duration"])
    to_export = long_playlists(studio, tmp_path)
    workdir = tmp_path / "run"
    workdir.mkdir()
    with (
        redis_server() as broker_url,
        simulator_subprocess(
            queue_seconds=0.5, run_seconds=1.0, run_seconds_per_video_second=0
        ) as simulator,
    ):
        env = worker_environment(broker_url=broker_url, gateway_url=simulator.url)
        with celery_broker(broker_url), make_run_apps(["worker", "exports", "beat"], env, workdir):
            before = take_seconds(studio)

            for playlist in to_export:
                playlists.export_start(user=studio.bob, playlist=playlist)
            wait_until(
                lambda: Export.objects.filter(status=ExportStatus.RUNNING).exists(),
                seconds=60,
                what=lambda: str(list(Export.objects.values_list("status", flat=True))),
            )
            during = take_seconds(studio)
            statuses = list(Export.objects.values_list("status", flat=True))

    assert during <= before * RATIO, (before, during)
    assert dispatcher_ticks_dropped(workdir / "worker.log") == 0
    # Measured while exports ran (one running, the others waiting their turn): otherwise they
    # were too short to prove anything.
    assert ExportStatus.RUNNING in statuses, statuses
    assert ExportStatus.FAILED not in statuses
    assert Take.objects.filter(status=TakeStatus.COMPLETED).count() == 3  # the source and two
