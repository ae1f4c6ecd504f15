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
    # session, user, the shot (with project, team, model), the ledger
    with django_assert_num_queries(4):
        assert line(client, "shot_budget_after", studio.shot.uuid) == (
            "$98.40 of the budget remains afterwards."
        )
    make_take(studio.shot, status=TakeStatus.RUNNING, cost="40.00")
    assert line(client, "shot_budget_after", studio.shot.uuid) == (
        "$58.40 of the budget remains afterwards."
    )


def test_retry_prices_the_new_take_like_the_failed_one_and_says_when_it_is_over(client, studio):
    client.force_login(studio.bob)
    failed = make_take(studio.shot, status=TakeStatus.FAILED, cost="3.20")
    make_take(studio.shot, status=TakeStatus.COMPLETED, cost="98.00")
    assert line(client, "take_budget_after", failed.uuid) == (
        "That is $1.20 over the budget: it will be refused."
    )


def test_an_outsider_learns_nothing_of_the_budget(client, studio):
    client.force_login(studio.oscar)
    failed = make_take(studio.shot, status=TakeStatus.FAILED)
    assert client.get(reverse("shot_budget_after", args=[studio.shot.uuid])).status_code == 404
    assert client.get(reverse("take_budget_after", args=[failed.uuid])).status_code == 404
