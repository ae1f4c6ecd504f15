"""A shot's part for variants: hook, body, call to action or none, set from its card by those
who may edit the storyboard, and logged."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.activity.models import Activity
from studio.projects import services
from studio.projects.models import Part, Shot

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def part_of(shot: Shot) -> str:
    return Shot.objects.get(pk=shot.pk).part


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_owner_and_editor_mark_a_shot_and_the_log_says_so(studio, who):
    user = getattr(studio, who)
    services.shot_part_set(user=user, shot=studio.shot, part=Part.HOOK)
    assert part_of(studio.shot) == "hook"
    line = Activity.objects.get()
    assert (line.actor, line.verb, line.storyboard) == (user, "edited", studio.storyboard)
    assert line.subject.endswith(": part to hook")


@pytest.mark.parametrize("who", ["rita", "vera"])
def test_reviewer_and_viewer_cannot_mark_a_shot(studio, who):
    with pytest.raises(PermissionDenied):
        services.shot_part_set(user=getattr(studio, who), shot=studio.shot, part=Part.BODY)
    assert part_of(studio.shot) == ""
    assert not Activity.objects.exists()


def test_marking_leaves_the_version_so_an_open_edit_still_saves(studio):
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.CTA)
    assert Shot.objects.get(pk=studio.shot.pk).version == studio.shot.version


def test_the_same_part_again_writes_nothing(studio):
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.BODY)
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.BODY)
    assert Activity.objects.count() == 1


def test_an_unknown_part_is_refused(studio):
    with pytest.raises(ValidationError):
        services.shot_part_set(user=studio.bob, shot=studio.shot, part="outro")
    assert part_of(studio.shot) == ""


def test_no_part_unmarks_the_shot(studio):
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.HOOK)
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.NONE)
    assert part_of(studio.shot) == ""
    assert Activity.objects.order_by("pk").last().subject.endswith(": part to none")


def test_a_duplicate_is_another_alternative_of_the_same_part(studio):
    services.shot_part_set(user=studio.bob, shot=studio.shot, part=Part.HOOK)
    copy = services.shot_duplicate(user=studio.bob, shot=Shot.objects.get(pk=studio.shot.pk))
    assert copy.part == "hook"


# The Part menu on the shot card


def test_the_card_offers_the_part_menu_with_a_label_to_editors(client, studio):
    Shot.objects.filter(pk=studio.shot.pk).update(part="body")
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    menu = f'<label for="part-{studio.shot.uuid}" class="small">Part</label>'
    assert menu in page
    assert '<option value="body" selected>Body</option>' in page
    assert '<option value="cta">Call to action</option>' in page


def test_a_viewer_sees_the_part_but_no_menu(client, studio):
    Shot.objects.filter(pk=studio.shot.pk).update(part="cta")
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert f"part-{studio.shot.uuid}" not in page
    assert '<span class="chip part">Call to action</span>' in page


def test_choosing_a_part_redraws_the_card_and_tells_the_page(
    client, studio, django_assert_num_queries
):
    client.force_login(studio.bob)
    url = reverse("shot_part", args=[studio.shot.uuid])
    # user, shot; savepoint, membership (the service's check), update, activity,
    # release (the card needs nothing more: its project has no brand kit)
    with django_assert_num_queries(7):
        response = client.post(url, {"part": "hook"}, **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<div class="shot-body" id="shot-{studio.shot.uuid}')
    assert '<option value="hook" selected>Hook</option>' in response.text
    assert "storyboard-changed" in json.loads(response["HX-Trigger"])  # the panel listens
    assert part_of(studio.shot) == "hook"


def test_choosing_a_part_without_javascript_goes_back_to_the_shot(client, studio):
    client.force_login(studio.bob)
    response = client.post(reverse("shot_part", args=[studio.shot.uuid]), {"part": "body"})
    assert response.status_code == 302
    assert response.url.endswith(f"#shot-{studio.shot.uuid}")
    assert part_of(studio.shot) == "body"


def test_an_unknown_part_is_refused_in_the_shots_alert(client, studio):
    client.force_login(studio.bob)
    response = client.post(reverse("shot_part", args=[studio.shot.uuid]), {"part": "x"}, **HTMX)
    assert response["HX-Retarget"] == f"#shot-{studio.shot.uuid}-alert"
    assert "Choose hook, body, call to action or no part." in response.text
    assert part_of(studio.shot) == ""


def test_outsider_gets_404_and_the_part_stays(client, studio):
    client.force_login(studio.oscar)
    response = client.post(reverse("shot_part", args=[studio.shot.uuid]), {"part": "hook"})
    assert response.status_code == 404
    assert part_of(studio.shot) == ""


def test_viewer_gets_403_from_the_view(client, studio):
    client.force_login(studio.vera)
    response = client.post(reverse("shot_part", args=[studio.shot.uuid]), {"part": "hook"})
    assert response.status_code == 403
    assert part_of(studio.shot) == ""
