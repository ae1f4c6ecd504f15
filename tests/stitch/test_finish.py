"""Finishing, checked by measurement: frames decoded with PyAV, loudness by ffmpeg's ebur128."""

from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import av
import pytest

from studio.stitch import (
    Caption,
    EndCard,
    ExportError,
    Finishing,
    ItemFinish,
    Loudness,
    Segment,
    TextStyle,
    Transition,
    finish,
)
from studio.stitch.finishing import characters_per_line, wrap
from tests.stitch.media import audio_levels, clip, ebur128, ffmpeg, rgb_at

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "inter" / "Inter_400Regular.ttf"
W, H, FPS = 320, 180, 24
FRAME = 1 / FPS
BLUE, GREEN, RED = "2040a0", "20a040", "a02020"


@dataclass(frozen=True)
class Media:
    blue_2s: Path
    green_2s: Path
    red_1s: Path
    logo: Path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    folder = tmp_path_factory.mktemp("media")
    logo = folder / "logo.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=80x40", "-frames:v", "1", str(logo))
    return Media(
        blue_2s=clip(folder / "blue.mp4", f"0x{BLUE}", 2, size=(W, H), tone=440),
        green_2s=clip(folder / "green.mp4", f"0x{GREEN}", 2, size=(W, H), tone=660),
        red_1s=clip(folder / "red.mp4", f"0x{RED}", 1, size=(W, H), tone=880),
        logo=logo,
    )


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


STYLE = TextStyle(font=FONT, text_colour="#FFFFFF", box_colour="#000000")
CARD = EndCard(
    call_to_action="Try it today",
    url="example.com",
    background="#FFCC00",
    text_colour="#000000",
    font=FONT,
    length=Decimal(2),
)


def _full(media: Media) -> tuple[list[Segment], Finishing]:
    segments = [Segment(media.blue_2s), Segment(media.green_2s), Segment(media.red_1s)]
    finishing = Finishing(
        items=(
            ItemFinish(
                caption=Caption(
                    "Fresh lemonade, squeezed this morning", Decimal("0.5"), Decimal(1)
                ),
                transition=Transition("crossfade", Decimal("0.5")),
            ),
            ItemFinish(),
            ItemFinish(transition=Transition("crossfade", Decimal("0.25"))),
        ),
        caption_style=STYLE,
        end_card=CARD,
    )
    return segments, finishing


@pytest.fixture(scope="module")
def finished(media: Media, tmp_path_factory: pytest.TempPathFactory) -> Path:
    segments, finishing = _full(media)
    dest = tmp_path_factory.mktemp("finished") / "ad.mp4"
    finish(segments, finishing, dest, width=W, height=H, fps=FPS)
    return dest


def luma(path: Path, at: float) -> bytes:
    """The Y plane of the frame shown at `at` seconds, W bytes a row."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            if frame.time >= at - FRAME / 2:
                plane = frame.planes[0]
                raw = bytes(plane)
                return b"".join(
                    raw[row * plane.line_size : row * plane.line_size + W] for row in range(H)
                )
    raise AssertionError(f"no frame at {at} s")


def mean_difference(a: bytes, b: bytes, rows: range, columns: range) -> float:
    total = sum(abs(a[y * W + x] - b[y * W + x]) for y in rows for x in columns)
    return total / (len(rows) * len(columns))


def changed_pixels(a: bytes, b: bytes, rows: range) -> int:
    return sum(1 for y in rows for x in range(W) if abs(a[y * W + x] - b[y * W + x]) > 40)


def changed_columns(a: bytes, b: bytes, rows: range) -> list[int]:
    return [x for x in range(W) if any(abs(a[y * W + x] - b[y * W + x]) > 40 for y in rows)]


def test_length_is_the_sum_less_the_crossfades_plus_the_end_card(finished: Path):
    planned = 2 + 2 + 1 - 0.5 - 0.25 + 2  # 6.25 s, 150 frames
    with av.open(str(finished)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        frames = sum(1 for _ in container.decode(video=0))
        assert (video.codec_context.width, video.codec_context.height) == (W, H)
        assert audio.duration is not None and audio.time_base is not None
        assert abs(float(audio.duration * audio.time_base) - planned) <= FRAME
    assert abs(frames - planned * FPS) <= 1


def test_caption_is_burned_in_the_lower_third_only_while_it_is_on(media: Media, finished: Path):
    source, before, during = luma(media.blue_2s, 0.75), luma(finished, 0.25), luma(finished, 0.75)
    caption_rows, upper_rows = range(H * 2 // 3, int(H * 0.9)), range(0, H // 2)

    assert changed_pixels(source, during, caption_rows) > 300
    assert changed_pixels(source, during, upper_rows) == 0
    assert changed_pixels(source, before, caption_rows) == 0
    assert mean_difference(source, during, upper_rows, range(W)) < 1
    columns = changed_columns(source, during, caption_rows)
    assert columns and min(columns) >= W * 0.05 and max(columns) <= W * 0.95


def test_crossfade_mixes_the_neighbours(finished: Path):
    # Blue fades into green from 1.5 s to 2.0 s: half way, the picture is between the two.
    blue, middle, green = (rgb_at(finished, t, 10, 10) for t in (1.2, 1.75, 2.3))
    assert blue[2] > middle[2] > green[2]
    assert blue[1] < middle[1] < green[1]


def test_end_card_has_its_background_and_its_text(finished: Path):
    card_at = 6.25 - 1.0
    red, green, blue = rgb_at(finished, card_at, 2, 2)
    assert abs(red - 0xFF) <= 8 and abs(green - 0xCC) <= 8 and abs(blue - 0x00) <= 8
    card = luma(finished, card_at)
    background = card[2 * W + 2]
    action_rows, url_rows = range(int(H * 0.4), int(H * 0.5)), range(int(H * 0.7), int(H * 0.8))
    for rows in (action_rows, url_rows):
        dark = [x for y in rows for x in range(W) if card[y * W + x] < background - 60]
        assert dark, rows
        assert min(dark) >= W * 0.05 and max(dark) <= W * 0.95


def test_loudness_meets_the_target_and_the_ceiling(media: Media, finished: Path, exports: Path):
    integrated, peak = ebur128(finished)
    assert abs(integrated - -14) <= 1
    assert peak <= -1

    segments, finishing = _full(media)
    quieter = replace(finishing, loudness=Loudness(Decimal(-23), Decimal(-2)))
    result = finish(segments, quieter, exports / "quiet.mp4", width=W, height=H, fps=FPS)
    integrated, peak = ebur128(result.path)
    assert abs(integrated - -23) <= 1 and peak <= -2
    # The engine's own measurement, for the manifest, agrees with ours.
    assert abs(float(result.loudness.integrated) - integrated) <= 0.2
    assert abs(float(result.loudness.true_peak) - peak) <= 0.2


def test_sound_runs_under_every_item(finished: Path):
    levels = audio_levels(finished, 0.25)
    items = levels[: int(4.25 / 0.25)]  # the clips' part; the end card is silent by design
    assert len(levels) >= 6.25 / 0.25
    assert min(items) > 0.01, items


def test_logo_is_drawn_on_the_end_card(media: Media, exports: Path):
    card = replace(CARD, logo=media.logo, length=Decimal(1))
    result = finish(
        [Segment(media.red_1s)], Finishing(end_card=card), exports / "logo.mp4", width=W, height=H
    )
    assert abs(float(result.duration) - 2) <= FRAME
    frame = luma(result.path, 1.5)
    logo_rows = range(int(H * 0.15), int(H * 0.3))
    bright = [x for y in logo_rows for x in range(W) if frame[y * W + x] > 225]
    assert bright and min(bright) > W * 0.3 and max(bright) < W * 0.7


def test_svg_logo_is_drawn_on_the_end_card(media: Media, exports: Path, tmp_path: Path):
    svg = tmp_path / "logo.svg"
    svg.write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="4">'
        '<rect width="8" height="4" fill="#ffffff"/></svg>'
    )
    card = replace(CARD, logo=svg, length=Decimal(1))
    result = finish(
        [Segment(media.red_1s)], Finishing(end_card=card), exports / "svg.mp4", width=W, height=H
    )
    frame = luma(result.path, 1.5)
    logo_rows = range(int(H * 0.15), int(H * 0.3))
    bright = [x for y in logo_rows for x in range(W) if frame[y * W + x] > 225]
    # Drawn centred at the logo box's size (as tall as the box lets a 2:1 logo be), not at
    # its own 8 px.
    assert bright and max(bright) - min(bright) > W * 0.3
    assert abs((max(bright) + min(bright)) / 2 - W / 2) <= 2


def test_wrap_keeps_to_the_budget_and_breaks_long_words():
    assert wrap("one two three four", 9) == ["one two", "three", "four"]
    assert wrap("https://example.com/a-very-long-path", 10)[0] == "https://ex"
    assert characters_per_line(320, 10) == 48


BAD = [
    (
        Finishing(items=(ItemFinish(caption=Caption("word " * 200)),), caption_style=STYLE),
        r"^Item 1's caption is too long: at most \d+ characters fit \(3 lines of \d+\)",
    ),
    (
        Finishing(items=(ItemFinish(caption=Caption("Hi")),), caption_style=TextStyle(Path("x"))),
        r"^The caption's font file is missing",
    ),
    (
        Finishing(items=(ItemFinish(transition=Transition("crossfade", Decimal(1))),)),
        r"^The crossfade after item 1 \(1\.0 s\) is not shorter than item 1 \(1\.0 s\)",
    ),
    (
        Finishing(end_card=replace(CARD, length=Decimal(6))),
        r"^The end card must last 1 to 5 s, not 6\.0 s",
    ),
    (
        Finishing(end_card=replace(CARD, length=Decimal("0.5"))),
        r"^The end card must last 1 to 5 s",
    ),
    (Finishing(end_card=replace(CARD, background="yellow")), r"#1A2B3C"),
]


@pytest.mark.parametrize(("finishing", "message"), BAD)
def test_bad_spec_is_refused_before_anything_is_written(
    media: Media, exports: Path, finishing: Finishing, message: str
):
    segments = [Segment(media.red_1s), Segment(media.red_1s)]
    with pytest.raises(ExportError, match=message):
        finish(segments, finishing, exports / "out.mp4", width=W, height=H)
    assert list(exports.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (b"not a font", "font", r"^The end card's font notfont is not a TrueType or OpenType"),
        (b"wOF2....", "font", r"not a TrueType or OpenType font"),
        (b"GIF89a....", "logo", r"^The end card's logo notlogo is not a PNG or SVG image"),
        (
            b'<?xml version="1.0"?><svg xmlns=',
            "logo",
            r"^The end card's logo notlogo could not be drawn",
        ),
    ],
)
def test_bad_font_or_logo_file_is_refused(
    media: Media, tmp_path: Path, exports: Path, content: bytes, field: str, message: str
):
    bad = tmp_path / f"not{field}"
    bad.write_bytes(content)
    card = replace(CARD, **{field: bad})
    with pytest.raises(ExportError, match=message):
        finish(
            [Segment(media.red_1s)], Finishing(end_card=card), exports / "o.mp4", width=W, height=H
        )
    assert list(exports.iterdir()) == []


def test_font_path_with_quotes_colons_and_brackets_is_drawn(media: Media, tmp_path: Path):
    odd = tmp_path / "it's: a [font], really; ok.ttf"
    odd.write_bytes(FONT.read_bytes())
    card = replace(CARD, font=odd, length=Decimal(1))
    result = finish(
        [Segment(media.red_1s)], Finishing(end_card=card), tmp_path / "odd.mp4", width=W, height=H
    )
    frame = luma(result.path, 1.5)
    background = frame[2 * W + 2]
    assert any(frame[y * W + x] < background - 60 for y in range(72, 90) for x in range(W))
