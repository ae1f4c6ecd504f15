"""A drawing on a paused frame, kept with its comment as vector data: a list of shapes, each a
kind and its points, every coordinate a share of the frame's width or height (0 to 1), so the
drawing fits the video at any size it is shown. No Django models: checked here, stored by the
service in `Comment.annotation`.

    [{"kind": "box", "points": [[0.1, 0.2], [0.5, 0.6]]},
     {"kind": "arrow", "points": [[0.9, 0.9], [0.6, 0.65]]},
     {"kind": "freehand", "points": [[0.2, 0.2], [0.21, 0.25], ...]}]
"""

import json
import math

from django.core.exceptions import ValidationError

# An arrow runs from its tail to its head; a box from one corner to the opposite one.
TWO_POINT_KINDS = ("arrow", "box")
KINDS = (*TWO_POINT_KINDS, "freehand")
MAX_SHAPES = 30
MAX_FREEHAND_POINTS = 500
# The browser sends the drawing as JSON text in the comment form: bounded before it is parsed.
MAX_TEXT_LENGTH = 100_000
# Four decimals is a tenth of a pixel on a 4K frame: more is noise the page would carry.
PLACES = 4

Shape = dict[str, object]


def annotation_from_text(text: str) -> object:
    """The comment form's drawing field, decoded; an empty field is no drawing."""
    text = text.strip()
    if not text:
        return []
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError("The drawing is too large to keep: clear some of it and try again.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise ValidationError(
            "The drawing could not be read: clear it and draw it again."
        ) from None


def _coordinate(value: object) -> float:
    # bool is an int to Python, and NaN and infinity pass a range check: all three refused.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("A drawing's points are numbers.")
    if not 0 <= value <= 1:
        raise ValidationError("A drawing stays within the frame: every point from 0 to 1.")
    return round(float(value), PLACES)


def _point(value: object) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationError("A drawing's point is a pair of numbers, across and down.")
    return [_coordinate(value[0]), _coordinate(value[1])]


def _shape(value: object) -> Shape:
    if not isinstance(value, dict) or not isinstance(value.get("points"), list):
        raise ValidationError("A drawing's shape has a kind and its points.")
    kind = value.get("kind")
    if kind not in KINDS:
        raise ValidationError("A drawing is made of arrows, boxes and freehand lines.")
    points = value["points"]
    if kind in TWO_POINT_KINDS and len(points) != 2:
        what = "An arrow has a tail and a head" if kind == "arrow" else "A box has two corners"
        raise ValidationError(f"{what}: two points.")
    if kind == "freehand" and not 2 <= len(points) <= MAX_FREEHAND_POINTS:
        raise ValidationError(
            f"A freehand line has 2 to {MAX_FREEHAND_POINTS} points: draw a shorter one."
        )
    return {"kind": kind, "points": [_point(point) for point in points]}


def annotation_clean(value: object) -> list[Shape]:
    """The drawing as it is kept, or a ValidationError saying what is wrong with it."""
    if not isinstance(value, list):
        raise ValidationError("A drawing is a list of shapes.")
    if len(value) > MAX_SHAPES:
        raise ValidationError(
            f"Keep a drawing to {MAX_SHAPES} shapes ({len(value)} now): clear some of them."
        )
    return [_shape(shape) for shape in value]
