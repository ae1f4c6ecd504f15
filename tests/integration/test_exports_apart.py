"""Exports do not starve takes: `make run`'s workers (the same command lines) with three long
exports running, and a take made while one runs completes before that export ends.

Exports go to a queue of their own with a worker of their own (one at a time); the takes'
worker, which runs the dispatcher every second, never takes them. Before, both shared the
takes' two processes: with exports running, dispatcher ticks expired unrun and a take waited.
Checked by what happened, not by how long it took, so a loaded machine does not fail it.
"""

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
EXPORT_TASK = b"studio.playlists.tasks.export_playlist"


def take_made(studio) -> Take:
    take = services.take_create(user=studio.bob, shot=studio.shot)

    def done() -> bool:
        take.refresh_from_db()
        return not take.is_active

    wait_until(done, seconds=120, what=lambda: f"take still {take.status}")
    assert take.status == TakeStatus.COMPLETED, take.error_message
    assert take.finished_at is not None
    return take


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


def test_a_take_completes_while_a_long_export_runs(studio, tmp_path):
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
            take_made(studio)  # the workers are up and a take goes through
            for playlist in to_export:
                playlists.export_start(user=studio.bob, playlist=playlist)
            wait_until(
                lambda: Export.objects.filter(status=ExportStatus.RUNNING).exists(),
                seconds=60,
                what=lambda: str(list(Export.objects.values_list("status", flat=True))),
            )
            running = Export.objects.get(status=ExportStatus.RUNNING)
            take = take_made(studio)
            running.refresh_from_db()
            statuses = list(Export.objects.values_list("status", flat=True))

    # The take made while the export ran was done before the export was: it never waited
    # behind it (as it did when both shared the takes' worker).
    assert running.finished_at is None or take.finished_at < running.finished_at, (
        take.finished_at,
        running.finished_at,
    )
    assert ExportStatus.FAILED not in statuses, statuses
    # The takes' worker never received an export; the exports' worker did.
    assert EXPORT_TASK not in (workdir / "worker.log").read_bytes()
    assert EXPORT_TASK in (workdir / "exports.log").read_bytes()
    assert dispatcher_ticks_dropped(workdir / "worker.log") == 0
    assert Take.objects.filter(status=TakeStatus.COMPLETED).count() == 3  # the source and two
