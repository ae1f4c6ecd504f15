"""A finished ad in each of the four placements, probed as the issue asks: exact size, length
within a frame of the plan, the caption burned in its box only, the end card, the loudness, and
sound throughout under music."""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import av
import pytest

from studio.stitch import (
    Caption,
    EndCard,
    Finishing,
    Framing,
    ItemFinish,
    MusicBed,
    Segment,
    TextStyle,
    finish,
    stitch,
)
from tests.stitch.media import audio_levels, clip, ebur128, ffmpeg, rgb_at

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "inter" / "Inter_400Regular.ttf"
PLACEMENTS = [
    ("16:9", 1920, 1080, "fit"),
    ("9:16", 1080, 1920, "blur"),
    ("1:1", 1080, 1080, "crop"),
    ("4:5", 1080, 1350, "crop"),
]
CARD = EndCard("Try it today", "example.com", "#FFCC00", "#000000", FONT, length=Decimal(1))
PLANNED = 2.0  # a 1 s take and the 1 s end card
CAPTION_AT = 0.5


@dataclass(frozen=True)
class Ad:
    name: str
    width: int
    height: int
    plain: Path  # the take alone, framed alike: what the picture is without finishing
    finished: Path


@pytest.fixture(scope="module", params=PLACEMENTS, ids=[p[0] for p in PLACEMENTS])
def ad(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ad:
    name, width, height, fill = request.param
    folder = tmp_path_factory.mktemp("placement")
    halves = "drawbox=x=iw/2:y=0:w=iw/2:h=ih:color=0x2040a0:t=fill"
    take = clip(folder / "take.mp4", "0xa02020", 1, size=(320, 180), tone=440, drawn=halves)
    music = folder / "music.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:d=3", "-c:a", "aac", str(music))
    segment = Segment(take, framing=Framing(fill))
    finishing = Finishing(
        items=(ItemFinish(caption=Caption("Fresh lemonade", Decimal("0.25"), Decimal(1))),),
        caption_style=TextStyle(font=FONT),
        end_card=CARD,
        music=MusicBed(music, fade_in=Decimal(0), fade_out=Decimal("0.5")),
    )
    size = {"width": width, "height": height}
    plain = stitch([segment], folder / "plain.mp4", force_reencode=True, **size)
    finished = finish([segment], finishing, folder / "finished.mp4", **size)
    return Ad(name, width, height, plain.path, finished.path)


def luma(path: Path, at: float, step: int = 4) -> tuple[int, list[list[int]]]:
    """Every `step`-th row and column of the luma of the frame shown at `at` seconds."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            if frame.time >= at - 1 / 48:
                plane = frame.planes[0]
                raw = bytes(plane)
                rows = [
                    list(raw[y * plane.line_size : y * plane.line_size + frame.width : step])
                    for y in range(0, frame.height, step)
                ]
                return step, rows
    raise AssertionError(f"no frame at {at} s")


def test_size_and_ratio_are_exact_and_length_is_the_plan(ad: Ad):
    with av.open(str(ad.finished)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
        assert (video.codec_context.width, video.codec_context.height) == (ad.width, ad.height)
    ratio = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5)}[ad.name]
    assert ad.width * ratio[1] == ad.height * ratio[0]
    assert abs(frames - PLANNED * 24) <= 1


def test_caption_changes_its_box_and_nothing_else(ad: Ad):
    step, plain = luma(ad.plain, CAPTION_AT)
    _, captioned = luma(ad.finished, CAPTION_AT)
    changed = [
        (y * step, x * step)
        for y, (a, b) in enumerate(zip(plain, captioned, strict=True))
        for x, (p, q) in enumerate(zip(a, b, strict=True))
        if abs(p - q) > 40
    ]
    assert len(changed) > 50
    # The box ends above the bottom tenth and stays in the lower half, inside the safe width.
    assert all(ad.height * 0.5 < y < ad.height * 0.9 for y, _ in changed)
    assert all(ad.width * 0.05 <= x <= ad.width * 0.95 for _, x in changed)
    _, before = luma(ad.finished, 0.1)  # the caption starts at 0.25 s
    _, plain_before = luma(ad.plain, 0.1)
    assert all(
        abs(p - q) <= 40
        for a, b in zip(plain_before, before, strict=True)
        for p, q in zip(a, b, strict=True)
    )


def test_end_card_is_shown(ad: Ad):
    red, green, blue = rgb_at(ad.finished, 1.5, 4, 4)
    assert abs(red - 0xFF) <= 8 and abs(green - 0xCC) <= 8 and blue <= 8


def test_loudness_is_on_target_under_the_ceiling_with_sound_throughout(ad: Ad):
    integrated, peak = ebur128(ad.finished)
    assert abs(integrated - -14) <= 1
    assert peak <= -1
    levels = audio_levels(ad.finished, 0.5)
    assert len(levels) == 4 and min(levels) > 0.005, levels
