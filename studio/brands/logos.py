"""Checking an uploaded logo before it is kept: a PNG or an SVG, bounded in bytes and pixels.

Pillow is not installed, so a PNG is checked by its structure: the signature, an IHDR chunk
first with sane dimensions, every chunk's CRC, at least one IDAT, and IEND last. An SVG is
XML that can carry script, so it is parsed and refused if it holds a DOCTYPE or ENTITY (entity
expansion), a script or foreignObject, an event-handler attribute, animation (which can rewrite
an href), or a reference to anything outside the file itself. The logo view serves it with a
CSP that forbids script as well: two locks, since an allow-list of SVG is easy to get wrong."""

import re
import struct
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

from django.core.exceptions import ValidationError

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4096  # on each side

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
# Elements a logo never needs and that run code, embed other documents or animate attributes.
FORBIDDEN_ELEMENTS = {
    "script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
    "listener", "animate", "set", "animatetransform", "animatemotion", "discard",
}  # fmt: skip
REFERENCE_ATTRIBUTES = {"href", "src"}
EXTERNAL_IN_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")


@dataclass(frozen=True)
class Logo:
    kind: str  # "png" or "svg"
    width: int | None
    height: int | None

    @property
    def content_type(self) -> str:
        return "image/png" if self.kind == "png" else "image/svg+xml"


def check_logo(data: bytes) -> Logo:
    """The logo, read from its bytes (never its name or the browser's content type)."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {len(data) / 1024 / 1024:.1f} MB; keep it to "
            f"{LOGO_MAX_BYTES // 1024 // 1024} MB."
        )
    if data.startswith(PNG_SIGNATURE):
        return check_png(data)
    if b"<svg" in data[:4096]:
        return check_svg(data)
    raise ValidationError("The logo must be a PNG or SVG image; this file is neither.")


def _bounded(width: float, height: float) -> None:
    if not (0 < width <= LOGO_MAX_PIXELS and 0 < height <= LOGO_MAX_PIXELS):
        raise ValidationError(
            f"The logo is {width:g}x{height:g} pixels; keep each side between 1 and "
            f"{LOGO_MAX_PIXELS}."
        )


def check_png(data: bytes) -> Logo:
    broken = ValidationError("The logo is not a valid PNG image (the file is damaged).")
    offset = len(PNG_SIGNATURE)
    chunks: list[bytes] = []
    width = height = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise broken
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc_at = offset + 8 + length
        if len(body) != length or crc_at + 4 > len(data):
            raise broken
        (crc,) = struct.unpack(">I", data[crc_at : crc_at + 4])
        if zlib.crc32(kind + body) != crc:
            raise broken
        if not chunks:
            if kind != b"IHDR" or length != 13:
                raise broken
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth not in (1, 2, 4, 8, 16) or colour not in (0, 2, 3, 4, 6):
                raise broken
        chunks.append(kind)
        offset = crc_at + 4
        if kind == b"IEND":
            break
    if not chunks or chunks[-1] != b"IEND" or b"IDAT" not in chunks:
        raise broken
    _bounded(width, height)
    return Logo("png", width, height)


def check_svg(data: bytes) -> Logo:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("An SVG logo must be UTF-8 text.") from None
    lowered = text.lower()
    # Before parsing: expat would expand entities (and fetch nothing, but a billion laughs
    # costs memory), and processing instructions can point at outside stylesheets.
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise ValidationError("The SVG logo may not contain DOCTYPE or ENTITY declarations.")
    if re.search(r"<\?(?!xml\s)", lowered):
        raise ValidationError("The SVG logo may not contain processing instructions.")
    declared = re.match(r"\s*<\?xml[^>]*encoding=['\"]([^'\"]+)", lowered)
    if declared and declared.group(1).replace("-", "") != "utf8":
        raise ValidationError("An SVG logo must be UTF-8 text.")
    try:
        # DOCTYPE and ENTITY were refused above, which is what defusedxml guards against.
        root = ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError:
        raise ValidationError("The SVG logo is not well-formed XML.") from None
    if root.tag != f"{SVG_NS}svg":
        raise ValidationError("The logo is not an SVG image (its root is not <svg>).")
    for element in root.iter():
        _check_element(element)
    return Logo("svg", *_svg_size(root))


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _check_element(element: ElementTree.Element) -> None:
    name = _local(element.tag) if isinstance(element.tag, str) else ""
    if name in FORBIDDEN_ELEMENTS:
        raise ValidationError(f"The SVG logo may not contain <{name}> (it can run code).")
    if name == "style" and EXTERNAL_IN_CSS.search(element.text or ""):
        raise ValidationError("The SVG logo's styles may not load anything from outside it.")
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.startswith("on"):
            raise ValidationError(
                f"The SVG logo may not contain event handlers ({local}); they run script."
            )
        if local in REFERENCE_ATTRIBUTES and not value.strip().startswith("#"):
            raise ValidationError(
                "The SVG logo may not refer to anything outside itself (an image, a link)."
            )
        if EXTERNAL_IN_CSS.search(value) and local not in ("d", "points"):
            raise ValidationError("The SVG logo may not load anything from outside it.")


def _svg_size(root: ElementTree.Element) -> tuple[int | None, int | None]:
    """Its size in pixels: width and height, else the viewBox; percentages and units other
    than px leave it unknown (the end card scales it to fit anyway)."""
    sizes = [NUMBER.match(root.get(side, "")) for side in ("width", "height")]
    if sizes[0] and sizes[1]:
        width, height = (float(match.group(1)) for match in sizes)  # type: ignore[union-attr]
    else:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            width, height = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            raise ValidationError(
                "The SVG logo needs a width and height or a viewBox, so it can be sized."
            ) from None
    _bounded(width, height)
    return round(width), round(height)
