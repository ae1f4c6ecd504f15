"""What a line shows beside its words: no cost for a take that was never charged, and the
shot it names as it is now (shots are renumbered as they move)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from studio.activity.models import Activity
from studio.generation import services as generation
from studio.generation.models import Take, TakeStatus
from studio.projects import services as projects
from studio.review import services as review
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db


def log_page(client, studio) -> str:
    return client.get(reverse("project_activity", args=[studio.project.uuid])).text


def generated(studio) -> Take:
    return generation.take_create(user=studio.bob, shot=studio.shot)


def test_a_generated_take_shows_what_it_reserved(client, studio):
    take = generated(studio)
    client.force_login(studio.vera)
    assert f'aria-label="Cost ${take.estimated_cost}"' in log_page(client, studio)


@pytest.mark.parametrize("status", [TakeStatus.FAILED, TakeStatus.CANCELLED])
def test_a_take_that_ended_uncharged_shows_no_cost(client, studio, status):
    take = generated(studio)
    Take.objects.filter(pk=take.pk).update(status=status)
    client.force_login(studio.vera)
    page = log_page(client, studio)
    assert 'class="chip money"' not in page and f"${take.estimated_cost}" not in page
    assert "not charged" in page


def test_a_failed_take_the_gateway_billed_shows_its_cost(client, studio):
    take = generated(studio)
    Take.objects.filter(pk=take.pk).update(status=TakeStatus.FAILED, billed_cost=Decimal("0.50"))
    client.force_login(studio.vera)
    # The line keeps what was reserved when it was written; the take was charged.
    assert f'aria-label="Cost ${take.estimated_cost}"' in log_page(client, studio)


def test_a_line_names_the_shot_as_it_is_now(client, studio):
    generated(studio)
    second = make_shot(studio.storyboard, 2, video_model=studio.veo)
    projects.shot_move(user=studio.bob, shot=second, offset=-1)  # the lake is now shot 2
    client.force_login(studio.vera)
    page = log_page(client, studio)
    anchor = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    assert "take 1 of shot 1 in Hero spot" in page  # what it was called then
    assert f'<a href="{anchor}#shot-{studio.shot.uuid}">(now shot 2)</a>' in page


def test_a_shot_not_moved_needs_no_note(client, studio):
    generated(studio)
    client.force_login(studio.vera)
    assert "(now shot" not in log_page(client, studio)


def test_a_deleted_shots_lines_say_so(client, studio):
    generated(studio)
    projects.shot_delete(user=studio.bob, shot=studio.shot)
    client.force_login(studio.vera)
    page = log_page(client, studio)
    assert page.count("(the shot was deleted since)") == 1  # the take's, not the deletion's
    assert "(now shot" not in page


def test_shot_lines_cost_no_query_each(client, studio, django_assert_num_queries):
    for n in range(2, 6):
        shot = make_shot(studio.storyboard, n, video_model=studio.veo)
        generation.take_create(user=studio.bob, shot=shot)
        projects.shot_move(user=studio.bob, shot=shot, offset=-1)
    client.force_login(studio.vera)
    # user, project (+team), lines (+storyboard, shot and its storyboard, take), the
    # top bar's memberships, the gateway's pause banner, storyboards for the filter
    with django_assert_num_queries(6):
        page = log_page(client, studio)
    assert page.count('class="activity-line"') == Activity.objects.count() == 8
    assert "(now shot" in page


def test_an_outsider_gets_404(client, studio):
    generated(studio)
    client.force_login(studio.oscar)
    response = client.get(reverse("project_activity", args=[studio.project.uuid]))
    assert response.status_code == 404


def test_a_review_line_names_the_shot_as_it_is_now(client, studio):
    take = make_take(studio.shot)
    review.review_decide(target=take, state="approved", user=studio.rita)
    comment = review.comment_add(target=take, body="Warmer light", user=studio.rita)
    review.comment_resolve(user=studio.rita, comment=comment)
    second = make_shot(studio.storyboard, 2, video_model=studio.veo)
    projects.shot_move(user=studio.bob, shot=second, offset=-1)  # the lake is now shot 2
    client.force_login(studio.vera)
    page = log_page(client, studio)
    assert "take 1 of shot 1 in Hero spot: approved" in page  # what it was called then
    anchor = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    assert page.count(f'<a href="{anchor}#shot-{studio.shot.uuid}">(now shot 2)</a>') == 3
