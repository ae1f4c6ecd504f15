"""The bundled fonts are there, are fonts ffmpeg's drawtext can read, and carry their licences."""

from pathlib import Path

import pytest
from django.conf import settings

from studio.brands.fonts import FONT_CHOICES, FONTS, FONTS_BY_KEY

# TrueType (version 1.0, or Apple's 'true') and OpenType with CFF outlines.
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"true", b"OTTO")


@pytest.mark.parametrize("font", FONTS, ids=lambda font: font.key)
def test_every_font_file_exists_and_is_truetype_or_opentype(font):
    assert font.file.is_file(), font.file
    assert font.file.read_bytes()[:4] in FONT_SIGNATURES


@pytest.mark.parametrize("font", FONTS, ids=lambda font: font.key)
def test_every_font_ships_with_its_licence(font):
    licences = [p for p in font.file.parent.iterdir() if p.name in ("OFL.txt", "LICENSE.txt")]
    assert licences, f"no licence file beside {font.file}"
    expected = "Open Font License" if "Open Font" in font.licence else "Apache License"
    assert expected in licences[0].read_text()


def test_the_stylesheet_offers_every_font_for_the_preview():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "studio.css").read_text()
    for font in FONTS:
        assert f"../fonts/{font.path}" in css
        assert f".brand-font-{font.key} " in css


def test_the_form_offers_the_table():
    assert [key for key, _ in FONT_CHOICES] == list(FONTS_BY_KEY)
