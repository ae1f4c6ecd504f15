import io
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import av
import imageio_ffmpeg
import pytest

from devtools.simulator.video import VideoRenderer
from studio.media_probe import probe_video
from studio.stitch import ExportError, Segment, export_file_name, stitch
from studio.stitch import export as export_module


@dataclass(frozen=True)
class Clips:
    wide_2s: Path
    wide_3s: Path
    wide_1s: Path
    tall_2s: Path
    silent_1s: Path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """Small real clips (the simulator's H.264 + AAC renders), made once for the module."""
    folder = tmp_path_factory.mktemp("clips")
    renderer = VideoRenderer(folder)
    try:
        wide_2s, wide_3s, wide_1s, tall_2s = (
            renderer.render(prompt=prompt, duration=duration, width=width, height=height)
            for prompt, duration, width, height in [
                ("A lemonade stand at noon", 2, 320, 180),
                ("Ice cubes fall into a glass", 3, 320, 180),
                ("Logo end card", 1, 320, 180),
                ("A lemonade stand, vertical", 2, 180, 320),
            ]
        )
        return Clips(
            wide_2s=wide_2s.result(),
            wide_3s=wide_3s.result(),
            wide_1s=wide_1s.result(),
            tall_2s=tall_2s.result(),
            silent_1s=_silent_clip(folder / "silent.mp4"),
        )
    finally:
        renderer.close()


def _silent_clip(dest: Path) -> Path:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
            *("-f", "lavfi", "-i", "testsrc=s=320x180:r=24:d=1"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(dest)),
        ],
        check=True,
        timeout=60,
    )
    return dest


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (ftyp, moov, mdat, ...)."""
    boxes = []
    with path.open("rb") as file:
        while header := file.read(8):
            size, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            header_size = 8
            if size == 1:
                size, header_size = int.from_bytes(file.read(8), "big"), 16
            boxes.append(kind)
            if size == 0:
                break
            file.seek(size - header_size, 1)
    return boxes


def test_matching_clips_are_joined_without_reencoding(clips: Clips, exports: Path):
    dest = exports / "hero.mp4"
    sources = [clips.wide_2s, clips.wide_3s, clips.wide_1s]

    result = stitch([Segment(path) for path in sources], dest, width=320, height=180)

    assert result.method == "copy"
    assert result.path == dest
    assert abs(result.duration - Decimal(6)) <= Decimal("0.05")
    assert result.expected_duration == sum(probe_video(path).duration for path in sources)
    output = probe_video(dest)
    assert (output.width, output.height) == (320, 180)
    assert output.audio is not None
    # The stream copy keeps the source's bitstream, so its decoder setup is the source's.
    assert output.video_extradata == probe_video(clips.wide_2s).video_extradata
    assert [name for name in exports.iterdir()] == [dest]


def test_export_is_faststart(clips: Clips, exports: Path):
    copied = stitch([Segment(clips.wide_2s)] * 2, exports / "a.mp4", width=320, height=180)
    encoded = stitch([Segment(clips.tall_2s)], exports / "b.mp4", width=320, height=180)

    for result in (copied, encoded):
        boxes = top_level_boxes(result.path)
        assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_mixed_shapes_are_reencoded_to_the_requested_size(clips: Clips, exports: Path):
    dest = exports / "mixed.mp4"

    result = stitch([Segment(clips.wide_2s), Segment(clips.tall_2s)], dest, width=320, height=180)

    assert result.method == "reencode"
    assert (result.width, result.height) == (320, 180)
    assert abs(result.duration - Decimal(4)) <= Decimal("0.1")
    output = probe_video(dest)
    assert output.frame_rate == 24
    assert output.pixel_format == "yuv420p"
    assert output.audio is not None
    assert (output.audio.codec, output.audio.sample_rate, output.audio.channels) == (
        "aac",
        48000,
        2,
    )


def test_matching_clips_at_another_size_are_reencoded(clips: Clips, exports: Path):
    result = stitch([Segment(clips.wide_1s)] * 2, exports / "x.mp4", width=640, height=360)

    assert result.method == "reencode"
    assert (result.width, result.height) == (640, 360)


def test_trims_are_honoured(clips: Clips, exports: Path):
    segments = [
        Segment(clips.wide_3s, trim_in=Decimal("0.5"), trim_out=Decimal("2.0")),
        Segment(clips.wide_2s),
    ]

    result = stitch(segments, exports / "trimmed.mp4", width=320, height=180)

    assert result.method == "reencode"
    assert result.expected_duration == Decimal("3.5")
    assert abs(result.duration - Decimal("3.5")) <= Decimal("0.1")
    with av.open(str(result.path)) as container:
        assert container.streams.video[0].frames == 84  # 36 + 48 frames at 24 fps


def test_trims_between_frames_are_cut_on_frames_and_the_length_checks_out(
    clips: Clips, exports: Path
):
    # 0.51 s is 12.24 frames at 24 fps and 2.49 s is 59.76: ffmpeg kept every frame the trim
    # touched, 48 an item instead of 47.52, and eight items ran 0.45 s over the check.
    segments = [Segment(clips.wide_3s, trim_in=Decimal("0.51"), trim_out=Decimal("2.49"))] * 8

    result = stitch(segments, exports / "trimmed.mp4", width=320, height=180)

    assert result.expected_duration == Decimal(16)  # frames 12 to 60 of each, 2 s
    assert abs(result.duration - result.expected_duration) < Decimal(1) / 24
    with av.open(str(result.path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.frames == 8 * 48
        assert audio.duration is not None and audio.time_base is not None
        assert abs(float(audio.duration * audio.time_base) - 16) < 1 / 24


def test_a_trim_shorter_than_a_frame_is_refused(clips: Clips, exports: Path):
    segments = [Segment(clips.wide_2s), Segment(clips.wide_2s, Decimal("0.51"), Decimal("0.52"))]

    with pytest.raises(ExportError, match=r"^Item 2's trim is shorter than one frame"):
        stitch(segments, exports / "out.mp4", width=320, height=180)

    assert list(exports.iterdir()) == []


def test_a_clip_without_sound_gets_silence(clips: Clips, exports: Path):
    result = stitch(
        [Segment(clips.silent_1s), Segment(clips.wide_1s)],
        exports / "silent.mp4",
        width=320,
        height=180,
    )

    assert result.method == "reencode"
    with av.open(str(result.path)) as container:
        audio = container.streams.audio[0]
        assert audio.duration is not None and audio.time_base is not None
        assert abs(float(audio.duration * audio.time_base) - 2.0) <= 0.05


def test_odd_file_names_are_joined(clips: Clips, tmp_path: Path):
    folder = tmp_path / "it's a take, [final]"
    folder.mkdir()
    odd = folder / "l'été 'take' 2.mp4"
    shutil.copyfile(clips.wide_1s, odd)

    result = stitch(
        [Segment(odd), Segment(clips.wide_1s)], folder / "out.mp4", width=320, height=180
    )

    assert result.method == "copy"
    assert abs(result.duration - Decimal(2)) <= Decimal("0.05")


@pytest.mark.parametrize(
    ("make_segments", "message"),
    [
        (lambda clips, tmp: [], "The playlist is empty"),
        (
            lambda clips, tmp: [Segment(clips.wide_1s), Segment(_text_file(tmp))],
            "Item 2 is not a playable video.",
        ),
        (lambda clips, tmp: [Segment(tmp / "gone.mp4")], "Item 1's video file is missing."),
        (
            lambda clips, tmp: [
                Segment(clips.wide_1s),
                Segment(clips.wide_1s),
                Segment(clips.wide_2s, trim_out=Decimal("2.5")),
            ],
            "Item 3's trim ends after the clip (2.0 s).",
        ),
        (
            lambda clips, tmp: [Segment(clips.wide_2s, Decimal("1.5"), Decimal("1.5"))],
            "Item 1's trim must start before it ends (1.5 s to 1.5 s).",
        ),
        (
            lambda clips, tmp: [Segment(clips.wide_2s, trim_in=Decimal("-0.5"))],
            "Item 1's trim starts before the clip.",
        ),
    ],
    ids=["empty", "not-a-video", "missing", "trim-past-end", "trim-in-not-before-out", "negative"],
)
def test_unusable_items_are_refused_by_name(
    clips: Clips, exports: Path, tmp_path: Path, make_segments, message: str
):
    with pytest.raises(ExportError) as caught:
        stitch(make_segments(clips, tmp_path), exports / "out.mp4", width=320, height=180)

    assert str(caught.value).startswith(message)
    assert list(exports.iterdir()) == []


def _text_file(folder: Path) -> Path:
    path = folder / "take.mp4"
    path.write_text("<html>Access denied</html>")
    return path


def test_a_failed_export_leaves_the_previous_file_and_can_be_tried_again(
    clips: Clips, exports: Path
):
    dest = exports / "hero.mp4"
    dest.write_bytes(b"last week's export")
    segments = [Segment(clips.wide_2s), Segment(clips.tall_2s)]

    with pytest.raises(ExportError, match="took longer than"):
        stitch(segments, dest, width=320, height=180, timeout=0.001)

    assert list(exports.iterdir()) == [dest]
    assert dest.read_bytes() == b"last week's export"
    result = stitch(segments, dest, width=320, height=180)
    assert result.method == "reencode"
    assert list(exports.iterdir()) == [dest]


def test_a_result_of_the_wrong_length_is_not_saved(
    clips: Clips, exports: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(export_module, "FRAMES_OF_SLACK_PER_ITEM", -1)

    with pytest.raises(ExportError, match=r"instead of 2\.0 s; nothing was saved"):
        stitch([Segment(clips.wide_1s)] * 2, exports / "out.mp4", width=320, height=180)

    assert list(exports.iterdir()) == []


def test_progress_rises_to_100(clips: Clips, exports: Path):
    seen: list[int] = []
    segments = [Segment(clips.wide_3s), Segment(clips.tall_2s), Segment(clips.wide_3s)]

    stitch(segments, exports / "out.mp4", width=320, height=180, on_progress=seen.append)

    assert seen[0] == 0
    assert seen[-1] == 100
    assert seen == sorted(set(seen))


def test_progress_lines_become_percentages(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(export_module, "_PROGRESS_INTERVAL", 0)
    lines = [b"frame=0\n", b"out_time_us=N/A\n", b"out_time_us=1000000\n"]
    lines += [b"out_time_ms=1000000\n", b"out_time_ms=3000000\n", b"out_time_us=4100000\n"]
    seen: list[int] = []

    export_module._follow_progress(io.BytesIO(b"".join(lines)), Decimal(4), seen.append)

    # out_time_ms counts microseconds too; 100 waits for the finished file's check.
    assert seen == [0, 25, 75, 99]


class Cancelled(Exception):
    pass


def test_a_failing_progress_callback_stops_the_export(clips: Clips, exports: Path):
    def cancel(percent: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        stitch(
            [Segment(clips.tall_2s)], exports / "out.mp4", width=320, height=180, on_progress=cancel
        )

    assert list(exports.iterdir()) == []


@pytest.mark.parametrize(
    ("project", "playlist", "ratio", "expected"),
    [
        ("Summer Launch", "Hero 15s", "16:9", "summer-launch_hero-15s_16x9_15s_v3.mp4"),
        ("Café Crème!", "  Stories / Reels ", "9:16", "cafe-creme_stories-reels_9x16_15s_v3.mp4"),
        ("日本", "Hero", "1:1", "untitled_hero_1x1_15s_v3.mp4"),
    ],
)
def test_export_file_name(project: str, playlist: str, ratio: str, expected: str):
    name = export_file_name(
        project=project, playlist=playlist, aspect_ratio=ratio, length_seconds=15, version=3
    )

    assert name == expected


def test_export_file_name_refuses_an_odd_ratio():
    with pytest.raises(ValueError, match="16:9"):
        export_file_name(
            project="a", playlist="b", aspect_ratio="wide", length_seconds=15, version=1
        )


def test_long_names_are_shortened_to_fit_and_keep_the_version():
    names = [
        export_file_name(
            project="P" * 120,
            playlist="Q" * 120,
            aspect_ratio="16:9",
            length_seconds=156,
            version=version,
        )
        for version in (1, 2)
    ]

    assert names[0] != names[1]
    for version, name in enumerate(names, 1):
        assert len(name.encode()) <= 255
        assert name.endswith(f"_16x9_156s_v{version}.mp4")
        project, playlist = name.removesuffix(f"_16x9_156s_v{version}.mp4").split("_")
        # Both names are cut alike, so each still says something.
        assert abs(len(project) - len(playlist)) <= 1


def test_a_shorter_bound_is_kept_and_a_short_name_gives_its_room_to_the_other():
    name = export_file_name(
        project="Summer launch",
        playlist="Q" * 120,
        aspect_ratio="9:16",
        length_seconds=15,
        version=12,
        max_length=55,
    )

    assert len(name) == 55
    assert name.startswith("summer-launch_qqq")
    assert name.endswith("_9x16_15s_v12.mp4")


def test_no_word_is_left_with_a_dangling_dash():
    name = export_file_name(
        project="ab " * 40,
        playlist="cd " * 40,
        aspect_ratio="16:9",
        length_seconds=4,
        version=1,
        max_length=40,
    )

    assert "-_" not in name and "_-" not in name


def test_a_name_as_long_as_the_file_system_allows_is_exported(clips: Clips, exports: Path):
    dest = exports / f"{'x' * 251}.mp4"

    result = stitch([Segment(clips.wide_1s)], dest, width=320, height=180)

    assert result.path == dest
    assert list(exports.iterdir()) == [dest]
