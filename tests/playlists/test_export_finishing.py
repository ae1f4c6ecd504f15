"""Exports with finishing (captions, crossfades, an end card, loudness) on real ffmpeg: the
spec built from the playlist and its brand kit, the file probed, the loudness measured."""

import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import imageio_ffmpeg
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone

from studio.media_probe import probe_video
from studio.playlists import exports, services
from studio.playlists.finish_spec import finish_spec
from studio.playlists.models import ExportStatus, Playlist
from tests.factories import make_brand_kit, make_playlist
from tests.playlists.exporting import run_export, stored_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def playlist(studio) -> Playlist:
    """A custom 16:9 playlist: exported at its takes' own frame (a preset placement renders
    at the platform's size: tests/playlists/test_deliverables_export.py)."""
    return make_playlist(studio.project, platform="custom")


FPS = 24
FRAME = Decimal(1) / FPS


def _ffmpeg(*args: str) -> None:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*command, *args], check=True, timeout=60)


def _clip(dest: Path, colour: str, size: str, tone: int) -> Path:
    """Two seconds of a colour with a sine tone, at 24 fps."""
    _ffmpeg(
        *("-f", "lavfi", "-i", f"color=c=0x{colour}:s={size}:r={FPS}:d=2"),
        *("-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000:duration=2"),
        *("-af", "volume=-20dB", "-c:v", "libx264", "-preset", "ultrafast"),
        *("-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest", str(dest)),
    )
    return dest


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("finishing")
    logo = folder / "logo.png"
    _ffmpeg("-f", "lavfi", "-i", "color=c=white:s=80x40", "-frames:v", "1", str(logo))
    return {
        "blue": _clip(folder / "blue.mp4", "2040a0", "320x180", 440),
        "green": _clip(folder / "green.mp4", "20a040", "320x180", 660),
        "tall": _clip(folder / "tall.mp4", "a02020", "180x320", 880),
        "logo": logo,
    }


def finished_playlist(studio, playlist, shots, media, *, kit_logo: str | None = "png"):
    """Two 2 s takes, a caption on the first, a 0.5 s crossfade between them, a 2 s end card
    with the brand kit's colours and logo, and -16 LUFS."""
    kit = make_brand_kit(
        studio.project, primary_colour="#1A2B3C", secondary_colour="#F5F5F5", cta_text="Shop"
    )
    if kit_logo == "png":
        kit.logo_type = "png"
        with media["logo"].open("rb") as handle:
            kit.logo.save("logo.png", File(handle))
    elif kit_logo == "svg":
        kit.logo_type = "svg"
        kit.logo.save("logo.svg", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg"/>'))
    takes = [stored_take(shots[0], media["blue"]), stored_take(shots[1], media["green"])]
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_item_finish(
        user=studio.bob,
        item=items[0],
        caption="Fresh every morning",
        transition="crossfade",
        transition_seconds=Decimal("0.5"),
    )
    services.playlist_finish(
        user=studio.bob,
        playlist=playlist,
        end_card=True,
        end_card_seconds=Decimal("2"),
        cta_text="Order today",
        cta_url="",
        loudness_target=-16,
    )
    playlist.refresh_from_db()
    return playlist


def test_caption_crossfade_and_end_card_export_to_the_planned_length_and_loudness(
    studio, playlist, shots, media
):
    playlist = finished_playlist(studio, playlist, shots, media)
    export = run_export(studio.bob, playlist)

    assert export.status == ExportStatus.DONE, export.error_message
    assert (export.method, export.progress) == ("finish", 100)
    planned = Decimal(2) + Decimal(2) - Decimal("0.5") + Decimal(2)
    info = probe_video(export.video.path)
    assert abs(info.duration - planned) <= FRAME, info.duration
    assert abs(export.duration - planned) <= FRAME
    assert (info.width, info.height) == (320, 180)
    assert "_6s_" in export.file_name  # as it plays, not the items' 4 s

    finishing = export.manifest["finishing"]
    assert finishing["items"] == [
        {
            "position": 1,
            "caption": "Fresh every morning",
            "transition": "crossfade",
            "transition_seconds": "0.50",
        },
        {"position": 2, "caption": None, "transition": "cut", "transition_seconds": None},
    ]
    card = finishing["end_card"]
    assert (card["call_to_action"], card["url"], card["length"]) == ("Order today", "", "2.0")
    assert (card["background"], card["text_colour"], card["logo"]) == ("#1A2B3C", "#F5F5F5", "png")
    loudness = finishing["loudness"]
    assert (loudness["target"], loudness["true_peak_ceiling"]) == ("-16", "-1")
    assert abs(Decimal(loudness["integrated"]) + 16) <= 1, loudness
    assert Decimal(loudness["true_peak"]) <= Decimal("-0.5"), loudness
    assert [item["shot"] for item in export.manifest["items"]] == [1, 2]  # kept as started


def test_with_media_in_object_storage_an_export_reads_its_inputs_and_stores_its_file_there(
    studio, playlist, shots, media, s3_storage, media_root, tmp_path
):
    playlist = finished_playlist(studio, playlist, shots, media)
    bed = tmp_path / "bed.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=6", "-c:a", "aac", str(bed))
    with bed.open("rb") as handle:
        playlist.music.save("bed.m4a", File(handle))
    inputs = set(s3_storage.keys())  # two takes, the logo and the music bed

    export = run_export(studio.bob, playlist)

    assert export.status == ExportStatus.DONE, export.error_message
    assert set(s3_storage.keys()) == inputs | {export.video.name}
    assert export.video.name == f"exports/{export.uuid}/{export.file_name}"  # not guessable
    assert not media_root.exists()  # nothing on this machine's disk, inputs or output
    rendered = tmp_path / "rendered.mp4"
    rendered.write_bytes(s3_storage.read(export.video.name))
    assert abs(probe_video(rendered).duration - export.duration) <= FRAME
    assert export.manifest["finishing"]["end_card"]["logo"] == "png"
    assert export.manifest["music"] is not None


def test_a_playlist_without_finishing_still_joins_by_stream_copy(
    tmp_path, studio, playlist, shots, media
):
    takes = [stored_take(shots[0], media["blue"]), stored_take(shots[1], media["green"])]
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    assert finish_spec(playlist, list(playlist.items.all()), workdir=tmp_path) is None

    export = run_export(studio.bob, playlist)

    assert export.status == ExportStatus.DONE, export.error_message
    assert export.method == "copy"
    assert "finishing" not in export.manifest
    assert abs(probe_video(export.video.path).duration - 4) <= FRAME


def test_a_caption_too_long_for_the_frame_fails_the_export_with_the_engines_reason(
    studio, shots, media
):
    playlist = make_playlist(studio.project, platform="vertical", aspect_ratio="9:16")
    take = stored_take(shots[0], media["tall"], ratio="9:16")
    (item,) = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    services.playlist_item_finish(
        user=studio.bob,
        item=item,
        caption=" ".join(["Limited"] * 15),  # 119 characters: the model allows 120
        transition="cut",
        transition_seconds=None,
    )

    export = run_export(studio.bob, playlist)

    assert export.status == ExportStatus.FAILED
    assert export.error_message.startswith("Item 1's caption is too long: at most"), (
        export.error_message
    )
    assert not export.video


def test_an_svg_logo_is_drawn_on_the_end_card_like_a_png(tmp_path, studio, playlist, shots, media):
    playlist = finished_playlist(studio, playlist, shots, media, kit_logo="svg")
    spec = finish_spec(playlist, list(playlist.items.select_related("take")), workdir=tmp_path)

    assert spec is not None and spec.finishing.end_card is not None
    assert spec.finishing.end_card.logo == Path(playlist.project.brand_kit.logo.path)
    assert spec.manifest["end_card"]["logo"] == "svg"


def test_captions_stay_legible_on_a_pale_brand_colour_and_need_no_kit(
    tmp_path, studio, playlist, shots, media
):
    takes = [stored_take(shots[0], media["blue"])]
    (item,) = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_item_finish(
        user=studio.bob, item=item, caption="Hi", transition="cut", transition_seconds=None
    )
    items = list(playlist.items.all())

    # No brand kit: the first bundled font, white on black.
    spec = finish_spec(playlist, items, workdir=tmp_path)
    assert spec is not None and spec.finishing.caption_style is not None
    style = spec.finishing.caption_style
    assert (style.font.name, style.text_colour, style.box_colour) == (
        "Inter_400Regular.ttf",
        "#FFFFFF",
        "#000000",
    )
    assert style.font.is_absolute() and style.font.is_file()

    make_brand_kit(studio.project, primary_colour="#FFE000", font="roboto-slab")
    playlist.project.refresh_from_db()
    spec = finish_spec(playlist, items, workdir=tmp_path)
    assert spec is not None and spec.finishing.caption_style is not None
    style = spec.finishing.caption_style
    assert (style.font.name, style.text_colour, style.box_colour) == (
        "RobotoSlab_400Regular.ttf",
        "#000000",
        "#FFE000",
    )
    assert spec.finishing.end_card is None


def test_a_finishing_run_failed_by_the_sweep_writes_nothing_when_it_carries_on(
    studio, playlist, shots, media, monkeypatch, settings
):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    playlist = finished_playlist(studio, playlist, shots, media)
    export = services.export_start(user=studio.bob, playlist=playlist)
    real_finish = exports.finish

    def finish_past_the_sweep(segments, finishing, target, **options):
        exports.exports_sweep(now=timezone.now() + timedelta(seconds=61))
        options["on_progress"](50)
        return real_finish(segments, finishing, target, **options)

    monkeypatch.setattr(exports, "finish", finish_past_the_sweep)
    exports.export_run(export_id=export.pk)

    export.refresh_from_db()
    assert (export.status, export.error_message) == (ExportStatus.FAILED, exports.LOST_MESSAGE)
    assert export.progress == 0 and not export.video and not export.method
    assert "finishing" not in export.manifest
