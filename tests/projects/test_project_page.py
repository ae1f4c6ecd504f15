"""The project page: budget figures, spend chart, recent activity and playlists' costs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from studio.activity.models import Activity, Verb
from studio.generation.models import TakeStatus
from studio.playlists.models import Playlist, PlaylistItem
from studio.projects.models import Shot, Storyboard
from tests.factories import make_take
from tests.helpers import days_ago

pytestmark = pytest.mark.django_db


def fill(studio, storyboards: int) -> None:
    """Storyboards with spend on several days, reservations, playlists and log lines."""
    for n in range(storyboards):
        storyboard = Storyboard.objects.create(project=studio.project, title=f"Cut {n}")
        shot = Shot.objects.create(
            storyboard=storyboard,
            position=1,
            prompt=f"Shot of cut {n}",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        done = make_take(shot, cost="1.60", finished=days_ago(n % 5))
        make_take(shot, cost="0.80", status=TakeStatus.QUEUED)
        playlist = Playlist.objects.create(project=studio.project, name=f"Ad {n}")
        PlaylistItem.objects.create(playlist=playlist, take=done, position=1)
        Activity.objects.create(
            project=studio.project,
            storyboard=storyboard,
            actor=studio.bob,
            actor_name="bob",
            verb=Verb.GENERATED,
            subject=f"take 1 of shot 1 in cut {n}",
            cost=Decimal("1.60"),
        )


@pytest.mark.parametrize("storyboards", [1, 12])
def test_project_page_query_count_does_not_grow(
    client, studio, django_assert_num_queries, storyboards
):
    fill(studio, storyboards)
    client.force_login(studio.alice)
    # user, project (+team), costs per storyboard, storyboards, spend per day, the
    # user's memberships (the top bar's, and what this page offers), the gateway's pause
    # banner, recent activity (+storyboard), playlists (+their takes' cost)
    with django_assert_num_queries(9):
        page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert page.count('class="spend-series-') >= min(storyboards, 5)
    assert page.count('class="activity-line"') == min(storyboards, 8)


def test_budget_card_shows_spent_reserved_remaining_and_the_top_up_note(client, studio):
    make_take(studio.shot, cost="4.00", finished=days_ago(1))
    make_take(studio.shot, cost="1.60", status=TakeStatus.RUNNING)
    make_take(studio.shot, cost="9.99", status=TakeStatus.FAILED)
    client.force_login(studio.vera)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    card = page.split('id="budget"')[1].split("</section>")[0]
    for label, figure in [
        ("Budget", "$100.00"),
        ("Spent", "$4.00"),
        ("Reserved", "$1.60"),
        ("Remaining", "$94.40"),
    ]:
        assert f'<span class="stat-label">{label}</span><span class="stat">{figure}</span>' in card
    # The gateway's fee is taken at top-up, shown as a note and never added to the figures.
    assert "$5.60 is about $5.88 of top-up, with its 5% fee." in card
    assert "Spent $4.00 · reserved $1.60" in page  # the storyboard's card


def test_storyboard_cards_count_only_the_shots_not_deleted(client, studio):
    Shot.objects.create(
        storyboard=studio.storyboard,
        position=2,
        prompt="Deleted, waiting for its undo window to pass",
        duration=4,
        video_model=studio.veo,
        deleted_at=days_ago(0),
    )
    client.force_login(studio.vera)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert ">1 shot</p>" in page and "2 shots" not in page


def test_playlist_cards_show_what_their_takes_cost(client, studio):
    first = make_take(studio.shot, cost="1.60", finished=days_ago(1))
    second = make_take(studio.shot, cost="2.40", finished=days_ago(1))
    playlist = Playlist.objects.create(project=studio.project, name="Cut")
    PlaylistItem.objects.create(playlist=playlist, take=first, position=1)
    PlaylistItem.objects.create(playlist=playlist, take=second, position=2)
    Playlist.objects.create(project=studio.project, name="Empty")
    client.force_login(studio.bob)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "Takes in it cost $4.00" in page and "Takes in it cost $0.00" in page
