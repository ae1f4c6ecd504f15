"""The dashboard's project cards (spend and a thumbnail) and who is offered New project."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from studio.generation.models import TakeStatus
from studio.projects.models import Project
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db


def card_of(page: str, name: str) -> str:
    start = page.index(f">{name}</a>")
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]


def test_only_an_owner_is_offered_new_project(client, studio):
    for user, offered in [(studio.alice, True), (studio.bob, False), (studio.vera, False)]:
        client.force_login(user)
        page = client.get(reverse("dashboard")).text
        assert ("New project" in page) is offered, user


def test_a_non_owner_with_no_projects_is_told_who_starts_them(client, studio):
    Project.objects.all().delete()
    client.force_login(studio.rita)
    page = client.get(reverse("dashboard")).text
    assert "No projects yet" in page and "New project" not in page
    assert "A team owner starts projects" in page


def test_card_shows_spent_of_budget(client, studio):
    make_take(studio.shot, cost="3.20")
    make_take(studio.shot, cost="1.00", status=TakeStatus.FAILED)  # never charged
    client.force_login(studio.vera)
    card = card_of(client.get(reverse("dashboard")).text, "Summer launch")
    assert "spent $3.20 of $100.00" in card


def test_a_project_without_a_budget_shows_no_meter(client, studio):
    studio.project.budget = 0
    studio.project.save()
    client.force_login(studio.vera)
    card = card_of(client.get(reverse("dashboard")).text, "Summer launch")
    assert "spent $0.00 of $0.00" in card
    assert "<progress" not in card  # a meter needs a maximum above zero


def test_card_shows_the_latest_finished_takes_poster(client, studio):
    now = timezone.now()
    older = make_take(studio.shot, finished=now - timedelta(hours=1))
    latest = make_take(studio.shot, finished=now)
    for take in (older, latest):
        take.poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"))
    make_take(studio.shot, status=TakeStatus.RUNNING)  # no poster yet: not a candidate
    client.force_login(studio.vera)
    card = card_of(client.get(reverse("dashboard")).text, "Summer launch")
    assert f'src="{reverse("take_poster", args=[latest.uuid])}"' in card
    poster = client.get(reverse("take_poster", args=[latest.uuid]))
    assert poster.status_code == 200


def test_card_without_a_finished_take_shows_a_placeholder(client, studio):
    client.force_login(studio.alice)
    card = card_of(client.get(reverse("dashboard")).text, "Summer launch")
    assert "<img" not in card and 'class="project-thumb placeholder"' in card


def test_dashboard_cards_cost_the_same_queries_for_any_number_of_projects(
    client, studio, django_assert_num_queries
):
    for n in range(4):
        project = Project.objects.create(
            team=studio.team, name=f"Extra {n}", budget=Decimal("10.00"), created_by=studio.alice
        )
        shot = make_shot(project.storyboards.create(title="Board"), 1, video_model=studio.veo)
        make_take(shot).poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"))
    client.force_login(studio.alice)
    # user, the user's memberships with their teams (heading and switcher), the
    # generation-pause banner, the current team's projects with their storyboard counts,
    # spend and latest poster (subqueries of the one query).
    with django_assert_num_queries(4):
        page = client.get(reverse("dashboard")).text
    assert page.count('class="project-thumb"') == 4


@pytest.mark.parametrize(
    "role, offered",
    [
        ("alice", {"New storyboard", "New playlist", "Change the budget", "Choose one"}),
        ("bob", {"New storyboard", "New playlist", "Choose one"}),
        ("rita", set()),
        ("vera", set()),
    ],
)
def test_the_project_page_offers_only_what_the_role_allows(client, studio, role, offered):
    client.force_login(getattr(studio, role))
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    actions = {"New storyboard", "New playlist", "Change the budget", "Choose one"}
    assert {action for action in actions if action in page} == offered


def test_an_outsider_sees_no_card_of_the_team(client, studio):
    client.force_login(studio.oscar)
    assert "Summer launch" not in client.get(reverse("dashboard")).text
