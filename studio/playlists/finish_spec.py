"""The export engine's finishing spec from a playlist's rows: captions, crossfades, the end card
and the loudness target, dressed in the project's brand kit. None when the playlist uses none of
them, so the export keeps the plain join (a stream copy when the takes allow it)."""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from studio.brands.fonts import FONTS, FONTS_BY_KEY, Font
from studio.brands.models import BrandKit
from studio.stitch import (
    Caption,
    EndCard,
    Finishing,
    ItemFinish,
    Loudness,
    TextStyle,
    Transition,
)
from studio.stored_files import local_copy

from .models import Playlist, PlaylistItem
from .music import music_bed, music_manifest
from .timeline import crossfades

TRUE_PEAK_CEILING = Decimal(-1)  # dBTP: the usual ceiling of streaming platforms
WHITE, BLACK = "#FFFFFF", "#000000"
# WCAG's contrast for normal text: below it the kit's secondary colour on its primary would be
# hard to read on the end card, so the card falls back to white or black text.
READABLE_CONTRAST = 4.5


@dataclass(frozen=True)
class FinishSpec:
    finishing: Finishing
    manifest: dict  # what was asked for, as the export's manifest keeps it


def finish_spec(
    playlist: Playlist, items: list[PlaylistItem], *, workdir: Path
) -> FinishSpec | None:
    """The finishing of these items (the playlist's, in order), or None if they have none. The
    logo and music it names are read from `workdir` when their storage has no paths.

    Crossfades are taken as the preview plays them (studio/playlists/timeline.py): none after
    the last item, never longer than a neighbour, so the export matches what was watched."""
    fades = crossfades(items)
    captioned = any(item.caption for item in items)
    # A deliverable always goes through finishing: its loudness normalised and measured.
    deliverable = playlist.source_id is not None
    if not (captioned or any(fades) or playlist.end_card or playlist.music or deliverable):
        return None
    kit = playlist.project.brand_kit
    font = kit_font(kit)
    finishing = Finishing(
        items=tuple(
            ItemFinish(
                caption=Caption(item.caption) if item.caption else None,
                transition=Transition("crossfade", fade) if fade else Transition(),
            )
            for item, fade in zip(items, fades, strict=True)
        ),
        caption_style=_caption_style(kit, font) if captioned else None,
        end_card=end_card_spec(playlist, kit, font, logo=_logo(kit, workdir))
        if playlist.end_card
        else None,
        loudness=Loudness(
            integrated=Decimal(playlist.loudness_target), true_peak=TRUE_PEAK_CEILING
        ),
        music=music_bed(playlist, workdir=workdir),
    )
    manifest = _manifest(finishing, kit, font) | {"music": music_manifest(playlist)}
    return FinishSpec(finishing, manifest)


def kit_font(kit: BrandKit | None) -> Font:
    """The kit's bundled font; without a kit (or with a key no longer bundled), the first."""
    return FONTS_BY_KEY.get(kit.font, FONTS[0]) if kit is not None else FONTS[0]


def _caption_style(kit: BrandKit | None, font: Font) -> TextStyle:
    # The box is the brand's primary colour (drawn at 60% over the picture), and the text is
    # white or black, whichever stands out more from that box: a kit's secondary colour is
    # often pale like white, so secondary-on-primary could be unreadable on a pale primary.
    box = kit.primary_colour if kit is not None else BLACK
    return TextStyle(font=font.file, text_colour=_readable_on(box), box_colour=box)


def end_card_spec(
    playlist: Playlist, kit: BrandKit | None, font: Font, *, logo: Path | None
) -> EndCard:
    background = kit.primary_colour if kit is not None else BLACK
    text = kit.secondary_colour if kit is not None else WHITE
    if _contrast(text, background) < READABLE_CONTRAST:
        text = _readable_on(background)
    return EndCard(
        call_to_action=playlist.cta_text or (kit.cta_text if kit is not None else ""),
        url=playlist.cta_url or (kit.cta_url if kit is not None else ""),
        background=background,
        text_colour=text,
        font=font.file,
        length=playlist.end_card_length,
        logo=logo,
    )


def _logo(kit: BrandKit | None, workdir: Path) -> Path | None:
    """The kit's logo, PNG or SVG (the engine rasterises an SVG at the size it is drawn)."""
    if kit is None or not kit.logo:
        return None
    return local_copy(kit.logo, workdir)


def _manifest(finishing: Finishing, kit: BrandKit | None, font: Font) -> dict:
    card = finishing.end_card
    return {
        "items": [
            {
                "position": position,
                "caption": item.caption.text if item.caption else None,
                "transition": item.transition.kind,
                "transition_seconds": str(item.transition.duration)
                if item.transition.kind == "crossfade"
                else None,
            }
            for position, item in enumerate(finishing.items, start=1)
        ],
        "font": font.name,
        "caption_style": {
            "text_colour": finishing.caption_style.text_colour,
            "box_colour": finishing.caption_style.box_colour,
        }
        if finishing.caption_style
        else None,
        "end_card": {
            "call_to_action": card.call_to_action,
            "url": card.url,
            "length": str(card.length),
            "background": card.background,
            "text_colour": card.text_colour,
            "logo": _logo_note(kit),
        }
        if card
        else None,
        "loudness": {
            "target": str(finishing.loudness.integrated),
            "true_peak_ceiling": str(finishing.loudness.true_peak),
        },
    }


def _logo_note(kit: BrandKit | None) -> str | None:
    if kit is None or not kit.logo:
        return None
    return kit.logo_type


def _readable_on(background: str) -> str:
    return WHITE if _contrast(WHITE, background) >= _contrast(BLACK, background) else BLACK


def _contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours, 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    red, green, blue = (
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
