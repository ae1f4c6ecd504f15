"""A logo is checked by its bytes: a PNG by its structure, an SVG for anything that can run
script or load from outside; both bounded in bytes and pixels."""

import pytest
from django.core.exceptions import ValidationError

from studio.brands.logos import LOGO_MAX_BYTES, check_logo
from tests.urls_table import png

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="120" height="40" viewBox="0 0 120 40">{}</svg>'
)


def svg(inner: str = '<rect width="120" height="40" fill="#123456"/>') -> bytes:
    return SVG.format(inner).encode()


def refused(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        check_logo(data)
    return " ".join(caught.value.messages)


def test_png_is_accepted_with_its_size():
    logo = check_logo(png(64, 32))
    assert (logo.kind, logo.width, logo.height) == ("png", 64, 32)
    assert logo.content_type == "image/png"


def test_text_file_named_png_is_refused():
    assert "PNG or SVG" in refused(b"hello, I am a text file called logo.png\n")


def test_png_with_a_damaged_chunk_is_refused():
    data = bytearray(png(8, 8))
    data[-20] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    assert "damaged" in refused(bytes(data))


def test_png_cut_short_is_refused():
    assert "damaged" in refused(png(8, 8)[:40])


def test_png_too_many_pixels_is_refused():
    assert "4096" in refused(png(5000, 1))


def test_oversize_file_is_refused_before_it_is_read():
    assert "1 MB" in refused(png() + b"\x00" * LOGO_MAX_BYTES)


def test_plain_svg_is_accepted():
    logo = check_logo(svg())
    assert (logo.kind, logo.width, logo.height) == ("svg", 120, 40)


def test_svg_sized_by_its_view_box_alone():
    data = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"><path d="M0 0h9"/></svg>'
    assert (check_logo(data).width, check_logo(data).height) == (300, 100)


def test_svg_internal_references_are_allowed():
    inner = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
        '<path id="p" d="M0 0h9"/></defs><rect fill="url(#g)" width="9" height="9"/>'
        '<use xlink:href="#p"/><use href="#p"/>'
    )
    assert check_logo(svg(inner)).kind == "svg"


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        ("<script>alert(1)</script>", "script"),
        ('<rect width="9" height="9" onclick="alert(1)"/>', "event handlers"),
        (
            '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>',
            "code",
        ),
        ('<image href="https://evil.example/x.png" width="9" height="9"/>', "outside"),
        ('<use xlink:href="other.svg#p"/>', "outside"),
        ('<a href="javascript:alert(1)"><rect width="9" height="9"/></a>', "outside"),
        ('<set attributeName="href" to="javascript:alert(1)"/>', "code"),
        ("<style>@import url(https://evil.example/x.css);</style>", "outside"),
        ('<rect fill="url(https://evil.example/p.svg#g)" width="9" height="9"/>', "outside"),
    ],
)
def test_svg_that_can_run_script_or_load_from_outside_is_refused(inner, reason):
    assert reason in refused(svg(inner))


def test_svg_with_onload_on_its_root_is_refused():
    data = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9" onload="alert(1)"/>'
    assert "onload" in refused(data)


def test_svg_with_entities_is_refused_before_parsing():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><text>&a;</text></svg>'
    )
    assert "DOCTYPE" in refused(data)


def test_svg_with_an_outside_stylesheet_instruction_is_refused():
    data = b'<?xml-stylesheet href="https://evil.example/x.css"?>' + svg()
    assert "processing instructions" in refused(data)


def test_svg_too_large_is_refused():
    data = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10000 10"/>'
    assert "4096" in refused(data)


def test_svg_without_a_size_or_view_box_is_refused():
    assert "viewBox" in refused(b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>')


def test_broken_xml_and_foreign_roots_are_refused():
    assert "well-formed" in refused(b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')
    assert "root" in refused(b'<html><body><svg xmlns="http://www.w3.org/2000/svg"/></body></html>')
