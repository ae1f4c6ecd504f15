"""A deliverable's export on real ffmpeg: rendered at its placement's size, always finished
(loudness measured), named by the convention, and its manifest listing what a delivery sheet
reads (tests/deliveries reads these keys: keep their names)."""

import hashlib
import subprocess
from decimal import Decimal
from pathlib import Path

import imageio_ffmpeg
import pytest

from studio.media_probe import probe_video
from studio.playlists import services
from studio.playlists.deliverables import deliverables_make
from studio.playlists.finish_spec import finish_spec
from studio.playlists.models import ExportStatus, Playlist
from tests.factories import make_playlist
from tests.playlists.exporting import run_export, stored_take

pytestmark = pytest.mark.django_db


def _clip(dest: Path, colour: str, size: str, tone: int) -> Path:
    """Two seconds of a colour with a sine tone."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"color=c=0x{colour}:s={size}:r=24:d=2"]
    command += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000:duration=2"]
    command += ["-af", "volume=-20dB", "-c:v", "libx264", "-preset", "ultrafast"]
    command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest", str(dest)]
    subprocess.run(command, check=True, timeout=60)
    return dest


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("deliverables")
    return {
        "blue": _clip(folder / "blue.mp4", "2040a0", "320x180", 440),
        "green": _clip(folder / "green.mp4", "20a040", "320x180", 660),
    }


@pytest.fixture
def ad(studio, shots, media) -> Playlist:
    """Two 2 s 16:9 takes, no captions, no end card: a plain join as an ad."""
    ad = make_playlist(studio.project, name="Hero", target_seconds=6)
    takes = [stored_take(shots[0], media["blue"]), stored_take(shots[1], media["green"])]
    items = services.playlist_add_takes(user=studio.bob, playlist=ad, takes=takes)
    services.playlist_item_frame(
        user=studio.bob, item=items[0], framing="crop", crop_x=Decimal("0.25"), crop_y=Decimal(1)
    )
    services.playlist_item_frame(
        user=studio.bob, item=items[1], framing="blur", crop_x=Decimal("0.5"), crop_y=Decimal("0.5")
    )
    return ad


def test_a_deliverable_always_goes_through_finishing(tmp_path, studio, ad):
    items = list(ad.items.select_related("take"))
    assert finish_spec(ad, items, workdir=tmp_path) is None  # the ad itself: a plain join
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None])
    deliverable = made.playlists[0]
    assert (
        finish_spec(deliverable, list(deliverable.items.select_related("take")), workdir=tmp_path)
        is not None
    )


def test_a_vertical_deliverable_renders_at_1080x1920_with_its_manifest(studio, ad):
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None])
    export = run_export(studio.bob, made.playlists[0])

    assert export.status == ExportStatus.DONE, export.error_message
    assert export.method == "finish"
    assert export.file_name == "summer-launch_hero_vertical-9x16_4s_v1.mp4"
    info = probe_video(export.video.path)
    assert (info.width, info.height) == (1080, 1920)
    manifest = export.manifest
    assert manifest["placement"] == "vertical-9x16"
    assert manifest["source"] == "Hero"
    assert manifest["music"] is None
    # The takes are the ad's own ratio: framed for the deliverable (16:9 in 9:16 is cropped,
    # whatever the ad's item said), around the crop centre set on the ad.
    assert [(i["framing"], i["crop_x"], i["crop_y"]) for i in manifest["items"]] == [
        ("crop", "0.250", "1.000"),
        ("crop", "0.500", "0.500"),
    ]
    loudness = manifest["finishing"]["loudness"]
    assert loudness["target"] == "-14" and "integrated" in loudness and "true_peak" in loudness
    facts = manifest["file"]
    assert set(facts) == {"name", "width", "height", "duration", "size_bytes", "sha256"}
    assert facts["name"] == export.file_name
    assert (facts["width"], facts["height"]) == (1080, 1920)
    assert abs(Decimal(facts["duration"]) - 4) < Decimal("0.1")
    content = Path(export.video.path).read_bytes()
    assert facts["size_bytes"] == len(content)
    assert facts["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_short_cut_is_named_by_its_slot_and_a_second_export_is_its_next_version(studio, ad):
    made = deliverables_make(
        user=studio.bob, playlist=ad, platforms=["feed-square"], lengths=[None]
    )
    square = made.playlists[0]
    # The full cut is 4 s: its own length is its slot.
    first = run_export(studio.bob, square)
    assert first.file_name == "summer-launch_hero_feed-1x1_4s_v1.mp4"
    assert (first.manifest["file"]["width"], first.manifest["file"]["height"]) == (1080, 1080)
    assert services.export_start(user=studio.bob, playlist=square).file_name.endswith("_v2.mp4")


def test_a_plain_export_of_an_ad_lists_its_file_too(studio, ad):
    export = run_export(studio.bob, ad)
    assert export.status == ExportStatus.DONE, export.error_message
    assert export.file_name == "summer-launch_hero_youtube-16x9_4s_v1.mp4"
    # The ad itself is a working cut: its takes' own frame (its deliverables get 1920x1080).
    assert export.manifest["file"]["width"] == 320
    assert export.manifest["placement"] == "youtube-16x9" and export.manifest["source"] is None
