"""Exports on real takes made by the simulator's renderer: the versions, names and manifests
the studio keeps, the video checked by probing it."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from devtools.simulator.video import VideoRenderer
from studio.gateway import probe_video
from studio.generation.models import Take
from studio.playlists import exports, services, tasks
from studio.playlists.models import Export, ExportStatus, Playlist
from tests.factories import make_playlist, make_take
from tests.playlists.exporting import run_export, stored_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def playlist(studio) -> Playlist:
    """A YouTube playlist (a working cut, not a deliverable): exported at its takes' own frame
    (a deliverable renders at its placement's size: tests/playlists/test_deliverables_export.py)."""
    return make_playlist(studio.project)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    renderer = VideoRenderer(tmp_path_factory.mktemp("renders"))
    try:
        jobs = {
            "a": renderer.render(prompt="Opening hook", duration=2, width=320, height=180),
            "b": renderer.render(prompt="Product close-up", duration=2, width=320, height=180),
            "tall": renderer.render(prompt="Vertical outro", duration=2, width=180, height=320),
        }
        return {name: job.result(timeout=120) for name, job in jobs.items()}
    finally:
        renderer.close()


def test_matching_takes_join_without_re_encoding(studio, playlist, shots, rendered):
    takes = [stored_take(shots[0], rendered["a"]), stored_take(shots[1], rendered["b"])]
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.DONE, export.error_message
    assert export.method == "copy"
    assert export.file_name == "summer-launch_hero-15_youtube-16x9_4s_v1.mp4"
    info = probe_video(export.video.path)
    assert abs(info.duration - 4) < Decimal("0.1")
    assert (info.width, info.height) == (320, 180)
    assert [item["shot"] for item in export.manifest["items"]] == [1, 2]
    assert export.manifest["total_cost"] == "1.60"
    assert run_export(studio.bob, playlist).version == 2  # a new version, the old one kept


def test_mixed_takes_and_trims_are_re_encoded_to_the_playlists_frame(
    studio, playlist, shots, rendered
):
    takes = [
        stored_take(shots[0], rendered["a"]),
        stored_take(shots[1], rendered["tall"], "9:16"),
    ]
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_trim_item(
        user=studio.bob, item=items[0], trim_in=Decimal("0.5"), trim_out=Decimal("1.5")
    )
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.DONE, export.error_message
    assert export.method == "reencode"
    info = probe_video(export.video.path)
    assert abs(info.duration - 3) < Decimal("0.1")
    assert (info.width, info.height) == (320, 180)
    assert export.manifest["items"][0]["trim_in"] == "0.500"


def test_a_failed_export_leaves_no_file_and_can_be_run_again(
    studio, playlist, shots, rendered, tmp_path
):
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    take = stored_take(shots[0], broken)
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.FAILED
    assert "not a playable video" in export.error_message
    assert not export.video
    exports_dir = Path(take.video.storage.location) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.mp4"))


# A run whose worker is lost: the heartbeat and the sweep.


def running_export(studio, playlist, shots, rendered, *, heartbeat_age: float) -> Export:
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = services.export_start(user=studio.bob, playlist=playlist)
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, started_at=beat, heartbeat_at=beat
    )
    return export


def test_sweep_fails_a_run_whose_heartbeat_stopped_and_the_export_can_run_again(
    studio, playlist, shots, rendered, settings
):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    export = running_export(studio, playlist, shots, rendered, heartbeat_age=61)
    exports.exports_sweep()
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error_message == "The export stopped (its worker was lost); run it again."
    assert export.finished_at is not None
    exports.exports_sweep()  # a second sweep changes nothing
    assert Export.objects.get(pk=export.pk).finished_at == export.finished_at
    again = run_export(studio.bob, playlist)
    assert (again.version, again.status) == (2, ExportStatus.DONE)


def test_sweep_leaves_a_run_with_a_fresh_heartbeat_alone(
    studio, playlist, shots, rendered, settings
):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    export = running_export(studio, playlist, shots, rendered, heartbeat_age=30)
    exports.exports_sweep()
    export.refresh_from_db()
    assert (export.status, export.error_message) == (ExportStatus.RUNNING, "")


def test_a_run_failed_by_the_sweep_writes_nothing_when_it_carries_on(
    studio, playlist, shots, rendered, settings, monkeypatch
):
    """The lost worker was only slow: its late progress and result must not overwrite the
    failure the user was shown (nor leave a file behind)."""
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = services.export_start(user=studio.bob, playlist=playlist)
    real_stitch = exports.stitch

    def stitch_past_the_sweep(segments, target, **options):
        later = timezone.now() + timedelta(seconds=61)
        exports.exports_sweep(now=later)
        options["on_progress"](50)
        return real_stitch(segments, target, **options)

    monkeypatch.setattr(exports, "stitch", stitch_past_the_sweep)
    exports.export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.progress == 0 and not export.video
    exports_dir = Path(take.video.storage.location) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.mp4"))


def test_progress_beats_the_heartbeat_at_most_once_per_interval(
    studio, playlist, shots, rendered, settings, time_machine
):
    settings.STUDIO_EXPORT_HEARTBEAT_SECONDS = 10
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    export = running_export(studio, playlist, shots, rendered, heartbeat_age=0)
    report = exports._progress(export, claimed_at=start)
    time_machine.move_to(start + timedelta(seconds=4), tick=False)
    report(1)
    assert Export.objects.get(pk=export.pk).heartbeat_at == start
    time_machine.move_to(start + timedelta(seconds=11), tick=False)
    report(2)
    assert Export.objects.get(pk=export.pk).heartbeat_at == start + timedelta(seconds=11)


def test_sweep_sends_again_an_export_queued_long_ago_and_never_started(
    studio, playlist, shots, rendered, settings, monkeypatch, time_machine
):
    """Its message was lost (the broker was down when it was started, or lost its queue)."""
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.export_playlist, "delay", lambda *args: sent.append(args))
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = services.export_start(user=studio.bob, playlist=playlist)
    tasks.sweep_stale_exports()
    assert sent == []  # just started: its message is on its way
    time_machine.move_to(timezone.now() + timedelta(seconds=61), tick=False)
    tasks.sweep_stale_exports()
    tasks.sweep_stale_exports()  # sent once per interval, not at every sweep
    assert sent == [(export.pk,)]


def test_an_unexpected_error_fails_the_export_at_once_with_a_reason_to_act_on(
    studio, playlist, shots, rendered, monkeypatch, caplog
):
    """Not only the export engine's own errors: a storage that refuses the file must not
    leave the export Running until the sweep blames a lost worker."""
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])

    def storage_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports.default_storage, "save", storage_full)
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.FAILED
    assert export.error_message == (
        "The export failed: [Errno 28] No space left on device; run it again."
    )
    assert export.finished_at is not None and not export.video
    assert "No space left on device" in caplog.text and "Traceback" in caplog.text
    monkeypatch.undo()
    again = run_export(studio.bob, playlist)
    assert (again.version, again.status) == (2, ExportStatus.DONE)


def test_a_take_without_a_file_fails_the_export_at_once(studio, playlist, shots, rendered):
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    Take.objects.filter(pk=take.pk).update(video="")  # its file was never stored, or removed
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.FAILED
    assert export.error_message.startswith("The export failed: ")
    assert export.error_message.endswith("; run it again.")


def test_a_failure_after_the_sweep_failed_the_run_writes_nothing(
    studio, playlist, shots, rendered, settings, monkeypatch
):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = services.export_start(user=studio.bob, playlist=playlist)

    def sweep_then_break(*args, **kwargs):
        exports.exports_sweep(now=timezone.now() + timedelta(seconds=61))
        raise OSError("storage gone")

    monkeypatch.setattr(exports.default_storage, "save", sweep_then_break)
    exports.export_run(export_id=export.pk)
    export.refresh_from_db()
    assert (export.status, export.error_message) == (ExportStatus.FAILED, exports.LOST_MESSAGE)


def test_sweep_sends_again_soon_an_export_queued_while_the_broker_was_down(
    studio, playlist, shots, rendered, settings, monkeypatch, time_machine
):
    """A queued export never started is sent again after STUDIO_EXPORT_RESEND_SECONDS, not
    after the stale bound meant for runs that went quiet."""
    settings.STUDIO_EXPORT_STALE_SECONDS = 300
    settings.STUDIO_EXPORT_RESEND_SECONDS = 30
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.export_playlist, "delay", lambda *args: sent.append(args))
    take = stored_take(shots[0], rendered["a"])
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    export = services.export_start(user=studio.bob, playlist=playlist)
    sent.clear()  # its first message (the broker took it, or did not)
    time_machine.move_to(start + timedelta(seconds=29), tick=False)
    tasks.sweep_stale_exports()
    assert sent == []
    time_machine.move_to(start + timedelta(seconds=31), tick=False)
    tasks.sweep_stale_exports()
    tasks.sweep_stale_exports()
    assert sent == [(export.pk,)]
    time_machine.move_to(start + timedelta(seconds=62), tick=False)
    tasks.sweep_stale_exports()
    assert sent == [(export.pk,), (export.pk,)]


def test_a_working_cut_keeps_its_takes_frame_and_a_deliverable_or_feed_gets_the_placements(
    studio, playlist
):
    take = make_take(studio.shot)  # 1280x720
    items = [services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])[0]]
    assert exports.export_size(playlist, items) == (1280, 720)  # no upscale, no re-encode
    deliverable = make_playlist(studio.project, source=playlist)
    assert exports.export_size(deliverable, items) == (1920, 1080)
    feed = make_playlist(studio.project, platform="feed-square", aspect_ratio="1:1")
    assert exports.export_size(feed, items) == (1080, 1080)
