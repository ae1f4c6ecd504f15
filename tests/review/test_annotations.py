"""Drawings on a paused frame: checked shape by shape, kept with their comment, sent from the
team's and the guests' comment forms, shown on the pin that carries them."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.review import services
from studio.review.annotations import (
    MAX_FREEHAND_POINTS,
    MAX_SHAPES,
    annotation_clean,
    annotation_from_text,
)
from studio.review.models import Comment
from studio.review.services import Guest
from tests.factories import make_link

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

BOX = {"kind": "box", "points": [[0.25, 0.25], [0.75, 0.6]]}
ARROW = {"kind": "arrow", "points": [[0.9, 0.9], [0.5, 0.5]]}
LINE = {"kind": "freehand", "points": [[0.1, 0.1], [0.2, 0.15], [0.3, 0.1]]}


def test_a_drawing_of_every_kind_is_kept_as_drawn():
    assert annotation_clean([BOX, ARROW, LINE]) == [BOX, ARROW, LINE]


def test_points_are_rounded_and_extra_keys_dropped():
    shape = {"kind": "box", "points": [[0, 1], [0.123456789, 0.5]], "colour": "red"}
    assert annotation_clean([shape]) == [{"kind": "box", "points": [[0.0, 1.0], [0.1235, 0.5]]}]


@pytest.mark.parametrize(
    ("drawing", "message"),
    [
        ({"kind": "box"}, "a list of shapes"),
        ([{"kind": "circle", "points": [[0, 0], [1, 1]]}], "arrows, boxes and freehand"),
        ([{"kind": "box", "points": [[0, 0]]}], "A box has two corners"),
        ([{"kind": "arrow", "points": [[0, 0], [1, 1], [0.5, 0.5]]}], "An arrow has a tail"),
        ([{"kind": "freehand", "points": [[0, 0]]}], "2 to 500 points"),
        ([{"kind": "box", "points": [[0, 0], [1.2, 0.5]]}], "from 0 to 1"),
        ([{"kind": "box", "points": [[0, 0], [-0.1, 0.5]]}], "from 0 to 1"),
        ([{"kind": "box", "points": [[0, 0], ["0.5", 0.5]]}], "are numbers"),
        ([{"kind": "box", "points": [[0, 0], [True, 0.5]]}], "are numbers"),
        ([{"kind": "box", "points": [[0, 0], [float("nan"), 0.5]]}], "are numbers"),
        ([{"kind": "box", "points": [[0, 0], [0.5]]}], "a pair of numbers"),
        (["box"], "has a kind and its points"),
    ],
)
def test_a_bad_drawing_is_refused_with_the_reason(drawing, message):
    with pytest.raises(ValidationError, match=message):
        annotation_clean(drawing)


def test_shapes_and_points_are_bounded():
    annotation_clean([BOX] * MAX_SHAPES)
    with pytest.raises(ValidationError, match=f"Keep a drawing to {MAX_SHAPES} shapes"):
        annotation_clean([BOX] * (MAX_SHAPES + 1))
    long_line = {"kind": "freehand", "points": [[0.5, 0.5]] * (MAX_FREEHAND_POINTS + 1)}
    with pytest.raises(ValidationError, match="draw a shorter one"):
        annotation_clean([long_line])


def test_the_forms_text_is_decoded_or_refused():
    assert annotation_from_text("  ") == []
    assert annotation_from_text(json.dumps([BOX])) == [BOX]
    with pytest.raises(ValidationError, match="could not be read"):
        annotation_from_text("[{")
    # Nested deeper than Python's parser recurses: refused, not a server error.
    with pytest.raises(ValidationError, match="could not be read"):
        annotation_from_text("[" * 40_000 + "]" * 40_000)
    with pytest.raises(ValidationError, match="too large"):
        annotation_from_text("[" + " " * 100_001 + "]")


def test_a_comment_keeps_its_drawing_at_its_moment(studio, takes):
    comment = services.comment_add(
        target=takes[0],
        body="Move the logo here",
        at_seconds=Decimal("1.5"),
        annotation=[BOX, ARROW],
        user=studio.rita,
    )
    comment.refresh_from_db()
    assert comment.annotation == [BOX, ARROW]
    assert json.loads(comment.annotation_json) == [BOX, ARROW]


def test_a_drawing_needs_a_moment_and_a_take(studio, takes, playlist, items):
    with pytest.raises(ValidationError, match="pause the video"):
        services.comment_add(target=takes[0], body="Here", annotation=[BOX], user=studio.rita)
    with pytest.raises(ValidationError, match="a playlist's comments have no drawing"):
        services.comment_add(
            target=playlist,
            body="Here",
            at_seconds=Decimal("1"),
            annotation=[BOX],
            user=studio.rita,
        )
    assert not Comment.objects.exists()


def test_a_viewer_cannot_draw(studio, takes):
    with pytest.raises(PermissionDenied):
        services.comment_add(
            target=takes[0],
            body="Here",
            at_seconds=Decimal("1"),
            annotation=[BOX],
            user=studio.vera,
        )
    assert not Comment.objects.exists()


def test_a_reviewer_posts_a_drawing_and_its_pin_carries_it(client, studio, takes):
    client.force_login(studio.rita)
    response = client.post(
        reverse("take_comment", args=[takes[0].uuid]),
        {"body": "Brighter here", "at_seconds": "1.5", "annotation": json.dumps([BOX])},
        **HTMX,
    )
    assert Comment.objects.get().annotation == [BOX]
    assert "Play take 1 from 1.5 s, with a drawing" in response.text
    assert 'data-annotation="[{&quot;kind&quot;:&quot;box&quot;' in response.text


def test_a_bad_drawing_is_answered_in_the_takes_alert(client, studio, takes):
    client.force_login(studio.rita)
    bad = [{"kind": "box", "points": [[0, 0], [2, 2]]}]
    response = client.post(
        reverse("take_comment", args=[takes[0].uuid]),
        {"body": "Brighter here", "at_seconds": "1.5", "annotation": json.dumps(bad)},
        **HTMX,
    )
    assert response["HX-Retarget"] == f"#take-{takes[0].uuid}-review-alert"
    assert "every point from 0 to 1" in response.text
    assert not Comment.objects.exists()


def test_an_outsider_cannot_draw_on_a_take(client, studio, takes):
    client.force_login(studio.oscar)
    response = client.post(
        reverse("take_comment", args=[takes[0].uuid]),
        {"body": "Mine", "at_seconds": "1", "annotation": json.dumps([BOX])},
        **HTMX,
    )
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_a_guest_draws_on_a_take_of_a_shared_storyboard(client, studio, takes):
    link = make_link(studio.storyboard, studio.alice)
    client.post(reverse("share_name", args=[link.token]), {"name": "Clara"})
    response = client.post(
        reverse("share_comment", args=[link.token]),
        {
            "take": takes[1].uuid,
            "body": "The can, bigger",
            "at_seconds": "2",
            "annotation": json.dumps([ARROW, LINE]),
        },
        **HTMX,
    )
    comment = Comment.objects.get()
    assert comment.guest_name == "Clara" and comment.annotation == [ARROW, LINE]
    assert "Play take 1 from 2.0 s, with a drawing" in response.text


def test_a_guest_cannot_draw_where_the_link_does_not_reach(studio, takes, second_storyboard):
    guest = Guest(name="Clara", link=make_link(second_storyboard, studio.alice))
    with pytest.raises(PermissionDenied):
        services.comment_add(
            target=takes[0], body="Here", at_seconds=Decimal("1"), annotation=[BOX], guest=guest
        )
    assert not Comment.objects.exists()
