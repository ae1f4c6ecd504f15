"""The line under a Generate or Retry confirmation says what the project's budget keeps, counted
when the dialog opens: takes started since the page was drawn count too."""

import pytest
from django.urls import reverse

from studio.generation.models import TakeStatus
from tests.factories import make_take

pytestmark = pytest.mark.django_db


def line(client, name: str, uuid) -> str:
    response = client.get(reverse(name, args=[uuid]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text.strip()


def test_generate_says_what_the_budget_keeps_counting_takes_started_since(
    client, studio, django_assert_num_queries
):
    client.force_login(studio.vera)  # anyone who sees the project sees its budget
    studio.shot.duration = 4
    studio.shot.save()
    # user, the shot (with project, team, model), the ledger
    with django_assert_num_queries(3):
        assert line(client, "shot_budget_after", studio.shot.uuid) == (
            "$98.40 of the budget remains afterwards."
        )
    make_take(studio.shot, status=TakeStatus.RUNNING, cost="40.00")
    assert line(client, "shot_budget_after", studio.shot.uuid) == (
        "$58.40 of the budget remains afterwards."
    )


def test_retry_prices_a_new_take_of_the_shot_as_it_is_now_and_says_when_it_is_over(client, studio):
    """A retry makes a take of the shot as it now is: edited from 4 s to 8 s since the failed
    take, it costs the 8 s price."""
    client.force_login(studio.bob)
    make_take(studio.shot, status=TakeStatus.FAILED, length=4)
    make_take(studio.shot, status=TakeStatus.COMPLETED, cost="97.20")
    studio.shot.duration = 8
    studio.shot.save()
    assert line(client, "shot_budget_after", studio.shot.uuid) == (
        "That is $0.40 over the budget: it will be refused."
    )


def test_an_outsider_learns_nothing_of_the_budget(client, studio):
    client.force_login(studio.oscar)
    assert client.get(reverse("shot_budget_after", args=[studio.shot.uuid])).status_code == 404
