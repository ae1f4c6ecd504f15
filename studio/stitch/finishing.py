"""The finishing spec: captions, transitions, an end card, music and loudness (no Django).

Plain frozen dataclasses, so the playlists app can build one from its rows and pass it to
`studio.stitch.finish`. `plan_finishing` checks it against the clips' lengths and the frame,
and lays the texts out, before ffmpeg starts: bad input fails with a message, never half done.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from studio.media_probe import Unplayable, probe_audio
from studio.stitch.export import ExportError, _seconds

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
# drawtext does not wrap, so lines are broken here by a budget of characters: an average glyph
# of the bundled sans and serif fonts is about 0.55 em wide; 0.6 leaves room for wide words.
_EM_PER_CHARACTER = 0.6
SAFE_WIDTH = 0.9  # of the frame's width: the title-safe area, 5% each side
SAFE_BOTTOM = 0.9  # of the frame's height: a caption's box ends above the bottom 10%
CAPTION_LINES = 3  # at most, so a caption stays in the lower third
CAPTION_SIZE = (0.05, 0.035)  # preferred and least font size, in frame heights
END_CARD_LENGTH = (Decimal(1), Decimal(5))
# A music bed's longest source: a song, not an album (the studio refuses longer uploads too).
MUSIC_MAX_SECONDS = 600
MUSIC_GAIN = (Decimal(-30), Decimal(0))  # dB: quieter than -30 is no bed, louder drowns the takes
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_SNIFF_BYTES = 4096  # an XML prolog and comments may come before <svg


@dataclass(frozen=True)
class Caption:
    text: str
    start: Decimal | None = None  # seconds from the item's first kept frame; None: its start
    end: Decimal | None = None  # None: the item's end


@dataclass(frozen=True)
class Transition:
    kind: Literal["cut", "crossfade"] = "cut"
    duration: Decimal = Decimal(0)  # seconds, for a crossfade


@dataclass(frozen=True)
class ItemFinish:
    """One playlist item's finishing, matched to the segments by position."""

    caption: Caption | None = None
    transition: Transition = Transition()  # into the next item, or into the end card


@dataclass(frozen=True)
class TextStyle:
    font: Path  # a TrueType/OpenType file (studio.brands.fonts.Font.file)
    text_colour: str = "#FFFFFF"
    box_colour: str = "#000000"  # drawn at 60% opacity behind a caption


@dataclass(frozen=True)
class EndCard:
    call_to_action: str
    url: str
    background: str  # #RRGGBB
    text_colour: str  # #RRGGBB
    font: Path
    length: Decimal = Decimal(3)
    logo: Path | None = None  # PNG or SVG


@dataclass(frozen=True)
class Loudness:
    integrated: Decimal = Decimal(-14)  # LUFS
    true_peak: Decimal = Decimal(-1)  # dBTP, the ceiling


@dataclass(frozen=True)
class MusicBed:
    """Music under the takes' own sound: looped or cut to the ad's length, faded in and out,
    ducked while the takes speak, then normalised with everything else."""

    path: Path
    gain: Decimal = Decimal(-12)  # dB applied to the music before it is mixed
    fade_in: Decimal = Decimal("0.5")  # seconds
    fade_out: Decimal = Decimal("1.5")  # seconds


@dataclass(frozen=True)
class Finishing:
    items: tuple[ItemFinish, ...] = ()  # one per segment; missing ones are plain cuts
    caption_style: TextStyle | None = None  # needed as soon as one item has a caption
    end_card: EndCard | None = None
    loudness: Loudness = field(default_factory=Loudness)
    music: MusicBed | None = None


@dataclass(frozen=True)
class TextBlock:
    lines: tuple[str, ...]
    size: int  # font size in pixels

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class PlannedCaption:
    block: TextBlock
    start: Decimal
    end: Decimal


@dataclass(frozen=True)
class PlannedEndCard:
    card: EndCard
    call_to_action: TextBlock
    url: TextBlock | None
    length: Decimal  # whole frames


@dataclass(frozen=True)
class Plan:
    lengths: tuple[Decimal, ...]  # each item's kept length
    captions: tuple[PlannedCaption | None, ...]
    crossfades: tuple[Decimal, ...]  # after each item (0 for a cut), whole frames
    end_card: PlannedEndCard | None
    loudness: Loudness
    caption_style: TextStyle | None
    music: MusicBed | None

    @property
    def duration(self) -> Decimal:
        end = self.end_card.length if self.end_card else Decimal(0)
        return sum(self.lengths, Decimal(0)) - sum(self.crossfades, Decimal(0)) + end


def plan_finishing(
    finishing: Finishing, lengths: Sequence[Decimal], *, width: int, height: int, fps: int
) -> Plan:
    """Check the spec against the items' lengths and the frame; raise ExportError if unusable."""
    if len(finishing.items) > len(lengths):
        raise ExportError(
            f"The finishing has {len(finishing.items)} items but the playlist {len(lengths)}."
        )
    items = list(finishing.items) + [ItemFinish()] * (len(lengths) - len(finishing.items))
    if any(item.caption for item in items):
        if finishing.caption_style is None:
            raise ExportError("Captions need a font and colours: choose the brand kit's.")
        _check_style(finishing.caption_style, "The caption")
    captions = tuple(
        _plan_caption(number, item.caption, length, width, height)
        if item.caption is not None
        else None
        for number, (item, length) in enumerate(zip(items, lengths, strict=True), 1)
    )
    end_card = _plan_end_card(finishing.end_card, width, height, fps)
    crossfades = _plan_crossfades(items, lengths, end_card, fps)
    loudness = finishing.loudness
    if not Decimal(-70) <= Decimal(loudness.integrated) <= Decimal(-5):
        raise ExportError(f"The loudness target must be -70 to -5 LUFS, not {loudness.integrated}.")
    if not Decimal(-9) <= Decimal(loudness.true_peak) <= Decimal(0):
        raise ExportError(f"The true-peak ceiling must be -9 to 0 dBTP, not {loudness.true_peak}.")
    plan = Plan(
        tuple(lengths),
        captions,
        crossfades,
        end_card,
        loudness,
        finishing.caption_style,
        finishing.music,
    )
    if plan.music is not None:
        _check_music(plan.music, plan.duration)
    return plan


def _plan_caption(
    number: int, caption: Caption, length: Decimal, width: int, height: int
) -> PlannedCaption:
    start = Decimal(0) if caption.start is None else Decimal(caption.start)
    end = length if caption.end is None else min(Decimal(caption.end), length)
    if start < 0 or start >= end:
        raise ExportError(
            f"Item {number}'s caption must start before it ends and within the item "
            f"({_seconds(start)} s to {_seconds(end)} s of {_seconds(length)} s)."
        )
    preferred, least = (max(1, round(height * share)) for share in CAPTION_SIZE)
    block = fit_text(caption.text, width, preferred, least, CAPTION_LINES)
    if isinstance(block, int):
        raise ExportError(
            f"Item {number}'s caption is too long: at most {block} characters fit "
            f"({CAPTION_LINES} lines of {block // CAPTION_LINES}), it has "
            f"{len(_words(caption.text))}."
        )
    return PlannedCaption(block, start, end)


def _plan_end_card(
    card: EndCard | None, width: int, height: int, fps: int
) -> PlannedEndCard | None:
    if card is None:
        return None
    length = _on_frames(Decimal(card.length), fps)
    low, high = END_CARD_LENGTH
    if not low <= length <= high:
        raise ExportError(
            f"The end card must last {low} to {high} s, not {_seconds(Decimal(card.length))} s."
        )
    for name, colour in [("background", card.background), ("text", card.text_colour)]:
        if not _COLOUR.fullmatch(colour):
            raise ExportError(
                f"The end card's {name} colour must look like #1A2B3C, not {colour!r}."
            )
    _check_font(card.font, "The end card")
    if card.logo is not None:
        _check_logo(Path(card.logo))
    if not card.call_to_action.strip():
        raise ExportError("The end card needs a call to action.")
    action = fit_text(card.call_to_action, width, round(height * 0.08), round(height * 0.05), 2)
    if isinstance(action, int):
        raise ExportError(
            f"The end card's call to action is too long: at most {action} characters fit."
        )
    url = None
    if card.url.strip():
        fitted = fit_text(card.url, width, round(height * 0.05), round(height * 0.035), 1)
        if isinstance(fitted, int):
            raise ExportError(f"The end card's URL is too long: at most {fitted} characters fit.")
        url = fitted
    return PlannedEndCard(card, action, url, length)


def _plan_crossfades(
    items: Sequence[ItemFinish],
    lengths: Sequence[Decimal],
    end_card: PlannedEndCard | None,
    fps: int,
) -> tuple[Decimal, ...]:
    following = [*lengths[1:], end_card.length if end_card else None]
    fades: list[Decimal] = []
    for number, (item, length, after) in enumerate(zip(items, lengths, following, strict=True), 1):
        transition = item.transition
        if transition.kind == "cut":
            fades.append(Decimal(0))
            continue
        if transition.kind != "crossfade":
            raise ExportError(f"Item {number}'s transition must be a cut or a crossfade.")
        fade = _on_frames(Decimal(transition.duration), fps)
        if fade <= 0:
            raise ExportError(f"Item {number}'s crossfade must last at least one frame.")
        if after is None:
            raise ExportError(f"Item {number} has a crossfade but nothing follows it.")
        next_name = f"item {number + 1}" if number < len(lengths) else "the end card"
        for name, neighbour in [(f"item {number}", length), (next_name, after)]:
            if fade >= neighbour:
                raise ExportError(
                    f"The crossfade after item {number} ({_seconds(fade)} s) is not shorter "
                    f"than {name} ({_seconds(neighbour)} s)."
                )
        fades.append(fade)
    for number, length in enumerate(lengths, 1):
        both = fades[number - 1] + (fades[number - 2] if number > 1 else Decimal(0))
        if both > length:
            raise ExportError(
                f"Item {number} ({_seconds(length)} s) is shorter than its two crossfades "
                f"({_seconds(both)} s together)."
            )
    return tuple(fades)


def fit_text(text: str, width: int, preferred: int, least: int, max_lines: int) -> TextBlock | int:
    """The text wrapped at the largest size from preferred down to least that fits in max_lines
    within the safe width; or, if none does, how many characters fit at the least size."""
    words = _words(text)
    for size in range(preferred, min(least, preferred) - 1, -1):
        budget = characters_per_line(width, size)
        lines = wrap(words, budget)
        if len(lines) <= max_lines:
            return TextBlock(tuple(lines), size)
    return characters_per_line(width, min(least, preferred)) * max_lines


def characters_per_line(width: int, size: int) -> int:
    return max(1, math.floor(width * SAFE_WIDTH / (size * _EM_PER_CHARACTER)))


def wrap(text: str, budget: int) -> list[str]:
    """Greedy word wrap to `budget` characters a line; a longer word (a URL) is broken."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > budget:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:budget])
            word = word[budget:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= budget:
            line = f"{line} {word}"
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _words(text: str) -> str:
    return " ".join(text.split())


def _on_frames(seconds: Decimal, fps: int) -> Decimal:
    return Decimal(round(seconds * fps)) / fps


def _check_style(style: TextStyle, owner: str) -> None:
    for name, colour in [("text", style.text_colour), ("box", style.box_colour)]:
        if not _COLOUR.fullmatch(colour):
            raise ExportError(f"{owner}'s {name} colour must look like #1A2B3C, not {colour!r}.")
    _check_font(style.font, owner)


def _check_font(font: Path, owner: str) -> None:
    path = Path(font)
    if not path.is_file():
        raise ExportError(f"{owner}'s font file is missing ({path.name}).")
    with path.open("rb") as file:
        magic = file.read(4)
    if magic not in _FONT_MAGIC:
        raise ExportError(f"{owner}'s font {path.name} is not a TrueType or OpenType font.")


def _check_music(music: MusicBed, duration: Decimal) -> None:
    """A music bed the mix can use: sound (proved by decoding it), a song's length at most,
    and a gain and fades that leave it audible within the ad."""
    path = Path(music.path)
    if not path.is_file():
        raise ExportError(f"The music file {path.name} is missing.")
    try:
        sound = probe_audio(path)
    except Unplayable as exc:
        raise ExportError(
            f"The music file {path.name} is not sound: choose an audio file (MP3, WAV, M4A...)."
        ) from exc
    if sound.duration > MUSIC_MAX_SECONDS:
        raise ExportError(
            f"The music file {path.name} lasts {_seconds(sound.duration)} s: music may last "
            f"at most {MUSIC_MAX_SECONDS // 60} minutes ({MUSIC_MAX_SECONDS} s)."
        )
    low, high = MUSIC_GAIN
    if not low <= Decimal(music.gain) <= high:
        raise ExportError(f"The music's level must be {low} to {high} dB, not {music.gain} dB.")
    for name, fade in [("fade-in", music.fade_in), ("fade-out", music.fade_out)]:
        if not Decimal(0) <= Decimal(fade) < duration:
            raise ExportError(
                f"The music's {name} must last from 0 s to less than the ad "
                f"({_seconds(duration)} s), not {_seconds(Decimal(fade))} s."
            )


def _check_logo(logo: Path) -> None:
    logo_kind(logo)


def logo_kind(logo: Path) -> Literal["png", "svg"]:
    """What the logo file is, by its bytes: ffmpeg draws a PNG, and rasterises an SVG with
    librsvg at the size it is shown (sharp at any frame size). The studio has checked an SVG
    for script and outside references when it was uploaded (studio/brands/logos.py)."""
    if not logo.is_file():
        raise ExportError(f"The end card's logo file is missing ({logo.name}).")
    with logo.open("rb") as file:
        head = file.read(_SVG_SNIFF_BYTES)
    if head.startswith(_PNG_MAGIC):
        return "png"
    if b"<svg" in head.lower():
        return "svg"
    raise ExportError(f"The end card's logo {logo.name} is not a PNG or SVG image.")
