"""How a clip fills a frame of another ratio: fitted with black bars, cropped around a centre,
or fitted over a blurred copy of itself (no Django). The filters are one chain of the export's
graph; a clip of the frame's own ratio fills it whichever way, so it gets the cheapest chain."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

# How much smaller than the frame a blurred backdrop is made before it is scaled back up.
_BACKDROP_SHRINK = 10
# boxblur refuses a radius of half a plane's side or more: a tiny frame gets a smaller one.
_BACKDROP_BLUR = "boxblur=lr=min(2\\,min(w\\,h)/4):cr=min(1\\,min(cw\\,ch)/4)"


type Fill = Literal["fit", "crop", "blur"]


@dataclass(frozen=True)
class Framing:
    """How a clip whose ratio is not the export's fills the frame: fitted with black bars,
    cropped to fill around a centre, or fitted over a blurred, cropped copy of itself."""

    fill: Fill = "fit"
    centre_x: Decimal = Decimal("0.5")  # the crop's centre, as a fraction of the clip's width
    centre_y: Decimal = Decimal("0.5")  # and of its height


def framing_filters(
    index: int, framing: Framing, clip: tuple[int, int], width: int, height: int
) -> str:
    """The picture brought to width x height as the framing says (a chain that may open a
    branch of its own, labelled by `index`, and ends unlabelled)."""
    fit = f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2"
    clip_width, clip_height = clip
    if framing.fill == "fit" or clip_width * height == clip_height * width:
        # A clip of the frame's ratio fills it whatever the framing: the cheapest chain will do.
        return f"{fit},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black"
    if framing.fill == "crop":
        # The window is centred on the chosen point, then pushed back inside the picture.
        x = f"max(0\\,min(iw-ow\\,iw*{Decimal(framing.centre_x):f}-ow/2))"
        y = f"max(0\\,min(ih-oh\\,ih*{Decimal(framing.centre_y):f}-oh/2))"
        return (
            f"scale={width}:{height}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height}:x={x}:y={y}"
        )
    # The backdrop is blurred at a tenth of the frame's size, a hundredth of the pixels, then
    # scaled up, which blurs it further: the export's budget has no room for a full-size blur.
    small_w, small_h = (max(2, side // _BACKDROP_SHRINK) for side in (width, height))
    return (
        f"split=2[fore{index}][back{index}];"
        f"[back{index}]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
        f"crop={small_w}:{small_h},{_BACKDROP_BLUR},scale={width}:{height}[backdrop{index}];"
        f"[fore{index}]{fit}[fitted{index}];"
        f"[backdrop{index}][fitted{index}]overlay=(W-w)/2:(H-h)/2"
    )
