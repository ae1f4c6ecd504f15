from decimal import Decimal

import pytest
from django.urls import reverse

from studio.generation.models import TakeStatus
from studio.projects.models import Project, Shot
from studio.teams.models import Membership
from tests.factories import PASSWORD, make_take

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def shot_data(studio, **overrides):
    data = {
        "video_model": studio.veo.pk,
        "prompt": "Close-up of a lemonade glass, condensation, slow push-in",
        "duration": 6,
        "aspect_ratio": "9:16",
        "notes": "",
    }
    return data | overrides


def test_first_login_gives_a_personal_team(client, django_user_model):
    django_user_model.objects.create_user("newbie", password=PASSWORD)
    client.post(reverse("login"), {"username": "newbie", "password": PASSWORD})
    membership = Membership.objects.get(user__username="newbie")
    assert membership.role == "owner" and membership.team.is_personal


def test_new_project_then_new_storyboard(client, studio):
    client.force_login(studio.alice)
    response = client.post(
        reverse("project_create"),
        {"name": "Winter sale", "client": "Snow Inc", "budget": "250.00", "team": studio.team.pk},
    )
    project = Project.objects.get(name="Winter sale")
    assert response.url == reverse("project_detail", args=[project.uuid])
    assert project.budget == Decimal("250.00")
    response = client.post(reverse("storyboard_create", args=[project.uuid]), {"title": "15 s cut"})
    storyboard = project.storyboards.get()
    assert response.url == reverse("storyboard_detail", args=[storyboard.uuid])
    page = client.get(response.url)
    assert "15 s cut" in page.text and "Add shot" in page.text


def test_project_with_a_negative_budget_is_refused_with_a_message(client, studio):
    client.force_login(studio.alice)
    response = client.post(
        reverse("project_create"), {"name": "Bad", "budget": "-5", "team": studio.team.pk}
    )
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.text
    assert 'value="Bad"' in response.text  # nothing the user typed is lost
    assert not Project.objects.filter(name="Bad").exists()


def test_project_page_shows_budget_spent_and_remaining(client, studio):
    make_take(studio.shot, status=TakeStatus.RUNNING)
    make_take(studio.shot, status=TakeStatus.FAILED)
    client.force_login(studio.bob)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "$100.00" in page and "$1.60" in page and "$98.40" in page


def test_add_shot_appends_the_card_and_empties_the_form(client, studio):
    client.force_login(studio.bob)
    client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST)
    response = client.post(
        reverse("shot_create", args=[studio.storyboard.uuid]), shot_data(studio), **HTMX
    )
    assert response.status_code == 200
    shot = studio.storyboard.shots.get(position=2)
    assert f'id="shot-{shot.uuid}"' in response.text
    assert "Shot 2" in response.text and "$2.40" in response.text
    assert 'id="shot-form" hx-swap-oob="true"' in response.text
    assert "Close-up of a lemonade glass" not in response.text.split('id="shot-form"')[1]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aspect_ratio": "1:1"}, "Select a valid choice"),
        ({"duration": 61}, "Veo 3.1 makes videos of 1 to 60 seconds."),
        ({"duration": 0}, "Veo 3.1 makes videos of 1 to 60 seconds."),
        ({"duration": "ten"}, "Enter a whole number."),
        ({"prompt": "   "}, "This field is required."),
        ({"prompt": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_shot_input_gets_a_clear_message_and_keeps_the_text(client, studio, overrides, message):
    client.force_login(studio.bob)
    data = shot_data(studio, **overrides)
    response = client.post(reverse("shot_create", args=[studio.storyboard.uuid]), data, **HTMX)
    assert message in response.text
    assert response["HX-Retarget"] == "#shot-form"
    assert str(data["duration"]) in response.text
    assert Shot.objects.count() == 1


def test_estimate_follows_the_duration_typed(client, studio, django_assert_num_queries):
    client.force_login(studio.bob)
    url = reverse("shot_estimate", args=[studio.storyboard.uuid])
    # user, storyboard, default model
    with django_assert_num_queries(3):
        response = client.get(url, {"duration": 4, "video_model": studio.veo.pk}, **HTMX)
    assert response.text.strip().startswith('<p id="estimate"')
    assert "4 s, $1.60" in response.text
    assert "60 s, $24.00" in client.get(url, {"duration": 60}, **HTMX).text
    assert "1 to 60 seconds" in client.get(url, {"duration": 90}, **HTMX).text


def test_shot_form_offers_only_the_models_aspect_ratios(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    form = page.split('id="shot-form"')[1]
    assert '<option value="16:9"' in form and '<option value="9:16"' in form
    assert "1:1" not in form
    assert 'min="1"' in form and 'max="60"' in form


def test_storyboard_page_query_count_does_not_grow_with_shots(
    client, studio, django_assert_num_queries
):
    for position in range(2, 12):
        shot = Shot.objects.create(
            storyboard=studio.storyboard,
            position=position,
            prompt=f"Shot {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        make_take(shot)
        make_take(shot, status=TakeStatus.RUNNING)
    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    client.get(url, LIST)  # the list, remembered in the session
    # user, storyboard (+project, team), the user's memberships (what the page
    # offers, and the team switcher), default model, models count, the storyboard's version
    # (a row of aggregates, the prices), shots (+model), takes, their review decisions and
    # comments, who is here, the gateway's pause banner. Takes in progress tick: the cards
    # are drawn for this answer, not taken from the cache.
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.text.count('class="take card') == 20
    assert "10 takes in progress" in response.text


def test_project_page_title_is_plain_text(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "<title>Summer launch · Veo Studio</title>" in page
