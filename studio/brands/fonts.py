"""The fonts a brand kit may choose: open fonts shipped in static/fonts/ (with their licence
files), so every machine renders an end card the same. The form offers these; the export's
drawtext will read `Font.file`, which is TrueType (ffmpeg cannot read the browser's woff2)."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Font:
    key: str  # what a brand kit stores
    name: str  # the family, as people know it
    path: str  # under static/fonts/
    licence: str  # the licence file beside it says the rest

    @property
    def file(self) -> Path:
        return Path(settings.BASE_DIR) / "static" / "fonts" / self.path


FONTS: tuple[Font, ...] = (
    Font("inter", "Inter", "inter/Inter_400Regular.ttf", "SIL Open Font License 1.1"),
    Font(
        "montserrat",
        "Montserrat",
        "montserrat/Montserrat_400Regular.ttf",
        "SIL Open Font License 1.1",
    ),
    Font(
        "playfair-display",
        "Playfair Display",
        "playfair-display/PlayfairDisplay_400Regular.ttf",
        "SIL Open Font License 1.1",
    ),
    Font(
        "roboto-slab", "Roboto Slab", "roboto-slab/RobotoSlab_400Regular.ttf", "Apache License 2.0"
    ),
)
FONTS_BY_KEY = {font.key: font for font in FONTS}
FONT_CHOICES = [(font.key, font.name) for font in FONTS]
DEFAULT_FONT = "inter"
