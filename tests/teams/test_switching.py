"""Several teams per person: the Teams page, creating a team, and the switcher that decides
which team's projects the dashboard shows."""

from decimal import Decimal

import pytest
from django.urls import reverse

from studio.projects.models import Project
from studio.teams.models import Membership, Role, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_team(studio) -> Team:
    """Bob also reviews for Oscar's studio, which has a project of its own."""
    team = Team.objects.get(name="Oscar's studio")
    Membership.objects.create(team=team, user=studio.bob, role=Role.REVIEWER)
    Project.objects.create(
        team=team, name="Winter sale", budget=Decimal("10.00"), created_by=studio.oscar
    )
    return team


def test_teams_page_lists_my_teams_with_my_role(client, studio, second_team):
    client.force_login(studio.bob)
    page = client.get(reverse("team_list"))
    assert page.status_code == 200
    assert "Acme Creative" in page.text and "Oscar&#x27;s studio" in page.text
    assert "Editor" in page.text and "Reviewer" in page.text


def test_creating_a_team_makes_me_its_owner_and_current(client, studio):
    client.force_login(studio.vera)
    response = client.post(reverse("team_create"), {"name": "Vera's agency"})
    team = Team.objects.get(name="Vera's agency")
    assert response.url == reverse("team_detail", args=[team.uuid])
    assert Membership.objects.get(team=team, user=studio.vera).role == Role.OWNER
    assert "<h1>Vera&#x27;s agency</h1>" in client.get(reverse("dashboard")).text


def test_a_team_needs_a_name(client, studio):
    client.force_login(studio.vera)
    page = client.post(reverse("team_create"), {"name": ""})
    assert page.status_code == 200
    assert "This field is required." in page.text
    assert Team.objects.count() == 2


def test_switching_teams_changes_the_dashboard(client, studio, second_team):
    client.force_login(studio.bob)
    dashboard = client.get(reverse("dashboard")).text
    # First by name until he chooses: Acme.
    assert "<h1>Acme Creative</h1>" in dashboard
    assert "Summer launch" in dashboard and "Winter sale" not in dashboard
    assert "1 other team" in dashboard

    response = client.post(reverse("team_switch", args=[second_team.uuid]))
    assert response.url == reverse("dashboard")
    dashboard = client.get(reverse("dashboard")).text
    assert "<h1>Oscar&#x27;s studio</h1>" in dashboard
    assert "Winter sale" in dashboard and "Summer launch" not in dashboard


def test_dashboard_takes_five_queries(client, studio, second_team, django_assert_num_queries):
    client.force_login(studio.bob)
    # user, the user's memberships with their teams (heading and switcher),
    # the generation-pause banner, the current team's projects with their storyboard counts.
    with django_assert_num_queries(4):
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_switcher_offers_every_team_and_marks_the_current_one(client, studio, second_team):
    client.force_login(studio.bob)
    client.post(reverse("team_switch", args=[second_team.uuid]))
    page = client.get(reverse("team_list")).text
    assert f'formaction="{reverse("team_switch", args=[studio.team.uuid])}"' in page
    current = f'formaction="{reverse("team_switch", args=[second_team.uuid])}" aria-current="true"'
    assert current in page


def test_switching_to_a_team_i_am_not_in_is_404(client, studio, second_team):
    client.force_login(studio.rita)
    assert client.post(reverse("team_switch", args=[second_team.uuid])).status_code == 404
    assert "<h1>Acme Creative</h1>" in client.get(reverse("dashboard")).text


def test_leaving_the_current_team_falls_back_to_another(client, studio, second_team):
    client.force_login(studio.bob)
    client.post(reverse("team_switch", args=[second_team.uuid]))
    Membership.objects.filter(user=studio.bob, team=second_team).delete()
    assert "<h1>Acme Creative</h1>" in client.get(reverse("dashboard")).text


def test_new_project_defaults_to_the_current_team(client, studio):
    client.force_login(studio.alice)
    other = Team.objects.create(name="Alpha")  # first by name, but not the current team
    Membership.objects.create(team=other, user=studio.alice, role=Role.OWNER)
    client.post(reverse("team_switch", args=[studio.team.uuid]))
    form = client.get(reverse("project_create")).text
    assert f'<option value="{studio.team.pk}" selected>Acme Creative</option>' in form
