"""Framing, checked on decoded frames: each placement's size is exact, a crop shows the part of
the clip its centre names, and a blurred backdrop fills the bars that a fit leaves black."""

from decimal import Decimal
from pathlib import Path

import av
import pytest

from studio.stitch import ExportError, Finishing, Framing, Segment, finish, stitch
from tests.stitch.media import clip, rgb_at

PLACEMENTS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350)}
RED, BLUE, GREEN, YELLOW = (255, 0, 0), (0, 0, 255), (0, 128, 0), (255, 255, 0)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Wide clips whose left half is red and right half blue; a tall one green above yellow."""
    folder = tmp_path_factory.mktemp("sources")
    halves = "drawbox=x=iw/2:y=0:w=iw/2:h=ih:color=blue:t=fill"
    return {
        "wide": clip(folder / "wide.mp4", "red", 1, size=(320, 180), tone=440, drawn=halves),
        "tiny": clip(folder / "tiny.mp4", "red", 0.5, size=(64, 36), drawn=halves),
        "tall": clip(
            folder / "tall.mp4",
            "green",
            1,
            size=(180, 320),
            drawn="drawbox=x=0:y=ih/2:w=iw:h=ih/2:color=yellow:t=fill",
        ),
    }


def near(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def size_and_frames(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, frames


def test_every_placement_has_its_exact_size_and_length(sources: dict[str, Path], tmp_path: Path):
    fills = {"16:9": "fit", "9:16": "blur", "1:1": "crop", "4:5": "crop"}
    for name, (width, height) in PLACEMENTS.items():
        segment = Segment(sources["tiny"], framing=Framing(fills[name]))
        dest = tmp_path / f"{name.replace(':', 'x')}.mp4"
        result = stitch([segment, segment], dest, width=width, height=height)
        assert size_and_frames(dest) == (width, height, 24), name
        assert (result.width, result.height) == (width, height)
        assert width * 1000 // height == {"16:9": 1777, "9:16": 562, "1:1": 1000, "4:5": 800}[name]


@pytest.mark.parametrize(
    ("centre_x", "left", "right"),
    [("0", RED, RED), ("1", BLUE, BLUE), ("0.5", RED, BLUE)],
)
def test_crop_shows_the_part_of_the_clip_around_its_centre(
    sources: dict[str, Path], tmp_path: Path, centre_x: str, left: tuple, right: tuple
):
    segment = Segment(sources["wide"], framing=Framing("crop", Decimal(centre_x)))
    # Scaled to 284x160 to cover a 90x160 frame: the window is a third of the clip's width.
    result = stitch([segment], tmp_path / "tall.mp4", width=90, height=160)
    assert near(rgb_at(result.path, 0.5, 5, 80), left)
    assert near(rgb_at(result.path, 0.5, 85, 80), right)


@pytest.mark.parametrize(("centre_y", "colour"), [("0", GREEN), ("1", YELLOW)])
def test_crop_centre_moves_up_and_down_on_a_tall_clip(
    sources: dict[str, Path], tmp_path: Path, centre_y: str, colour: tuple
):
    framing = Framing("crop", centre_y=Decimal(centre_y))
    segment = Segment(sources["tall"], framing=framing)
    result = stitch([segment], tmp_path / "wide.mp4", width=160, height=90)
    for y in (5, 45, 85):
        assert near(rgb_at(result.path, 0.5, 80, y), colour)


def test_blur_fills_the_bars_and_keeps_the_fitted_clip_in_the_middle(
    sources: dict[str, Path], tmp_path: Path
):
    tall = {"width": 180, "height": 320}
    fit = stitch([Segment(sources["wide"])], tmp_path / "fit.mp4", **tall)
    blur = stitch(
        [Segment(sources["wide"], framing=Framing("blur"))], tmp_path / "blur.mp4", **tall
    )
    # The clip fitted to 180 wide is 102 high, rows 109 to 211: the rest is bar or backdrop.
    for x, y in [(20, 160), (160, 160), (20, 120), (160, 200)]:
        assert near(rgb_at(blur.path, 0.5, x, y), rgb_at(fit.path, 0.5, x, y))
    for x, y in [(20, 20), (160, 20), (20, 300), (160, 300)]:
        assert near(rgb_at(fit.path, 0.5, x, y), (0, 0, 0))
        assert near(rgb_at(blur.path, 0.5, x, y), RED if x < 90 else BLUE)


def test_every_framing_gives_the_same_picture_when_the_ratio_matches(
    sources: dict[str, Path], tmp_path: Path
):
    pictures = set()
    for fill in ("fit", "crop", "blur"):
        segment = Segment(sources["wide"], framing=Framing(fill, Decimal(0)))
        result = stitch([segment], tmp_path / f"{fill}.mp4", width=640, height=360)
        with av.open(str(result.path)) as container:
            pictures.add(bytes(next(container.decode(video=0)).planes[0]))
    assert len(pictures) == 1


def test_framing_is_honoured_by_the_finished_export(sources: dict[str, Path], tmp_path: Path):
    segment = Segment(sources["wide"], framing=Framing("crop", Decimal(1)))
    result = finish([segment], Finishing(), tmp_path / "f.mp4", width=90, height=160)
    assert near(rgb_at(result.path, 0.5, 5, 80), BLUE)


@pytest.mark.parametrize(
    ("centre_x", "centre_y", "shown"),
    [("1.5", "0.5", "1.5, 0.5"), ("0.5", "-0.1", "0.5, -0.1")],
)
def test_a_crop_centre_outside_the_frame_is_refused_and_nothing_is_written(
    sources: dict[str, Path], tmp_path: Path, centre_x: str, centre_y: str, shown: str
):
    framing = Framing("crop", Decimal(centre_x), Decimal(centre_y))
    segments = [Segment(sources["wide"]), Segment(sources["wide"], framing=framing)]
    message = (
        r"^Item 2's crop centre must be inside the frame: x and y from 0 to 1, not "
        + shown.replace(".", r"\.")
    )
    for export in (stitch, lambda s, d, **size: finish(s, Finishing(), d, **size)):
        with pytest.raises(ExportError, match=message):
            export(segments, tmp_path / "out.mp4", width=180, height=180)
        assert list(tmp_path.iterdir()) == []


def test_blur_fills_a_small_frame_too(sources: dict[str, Path], tmp_path: Path):
    # A 90x160 frame's backdrop is 8x16 before it is scaled up: a blur that size must still run.
    segment = Segment(sources["wide"], framing=Framing("blur"))
    result = stitch([segment], tmp_path / "small.mp4", width=90, height=160)
    red, _, blue = rgb_at(result.path, 0.5, 5, 5)
    assert red > 150 > blue
    red, _, blue = rgb_at(result.path, 0.5, 85, 155)
    assert blue > 150 > red


def test_clips_of_the_export_size_are_copied_whatever_their_framing(
    sources: dict[str, Path], tmp_path: Path
):
    # Of the export's size, a clip has its ratio: a crop or a blur would show the same picture.
    segments = [Segment(sources["wide"], framing=Framing(fill)) for fill in ("crop", "blur")]
    result = stitch(segments, tmp_path / "copy.mp4", width=320, height=180)
    assert result.method == "copy"
    tall = stitch(segments, tmp_path / "tall.mp4", width=180, height=320)
    assert tall.method == "reencode"
