"""Exports on real takes made by the simulator's renderer: the versions, names and manifests
the studio keeps, the video checked by probing it."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files import File

from studio.gateway import probe_video
from studio.playlists import exports, services
from studio.playlists.models import Export, ExportStatus
from studio.simulator.video import VideoRenderer
from tests.factories import make_take

pytestmark = pytest.mark.django_db


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


def stored_take(shot, number, path: Path, ratio="16:9"):
    take = make_take(shot, number, ratio=ratio, length=2)
    take.resolution = "320x180" if ratio == "16:9" else "180x320"
    with path.open("rb") as handle:
        take.video.save("take.mp4", File(handle))
    return take


def run_export(user, playlist) -> Export:
    export = services.export_start(user=user, playlist=playlist)
    exports.export_run(export_id=export.pk)
    export.refresh_from_db()
    return export


def test_matching_takes_join_without_re_encoding(studio, playlist, shots, rendered):
    takes = [stored_take(shots[0], 1, rendered["a"]), stored_take(shots[1], 1, rendered["b"])]
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.DONE, export.error_message
    assert export.method == "copy"
    assert export.file_name == "summer-launch_hero-15_16x9_4s_v1.mp4"
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
        stored_take(shots[0], 1, rendered["a"]),
        stored_take(shots[1], 1, rendered["tall"], "9:16"),
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
    take = stored_take(shots[0], 1, broken)
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    export = run_export(studio.bob, playlist)
    assert export.status == ExportStatus.FAILED
    assert "not a playable video" in export.error_message
    assert not export.video
    exports_dir = Path(take.video.storage.location) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.mp4"))
