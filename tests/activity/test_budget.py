from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.activity.models import Activity, Verb
from studio.generation.models import TakeStatus
from studio.generation.services import project_budget_set
from studio.projects.models import Project
from tests.factories import make_take
from tests.helpers import HTMX, days_ago

pytestmark = pytest.mark.django_db


def budget_url(studio) -> str:
    return reverse("project_budget", args=[studio.project.uuid])


def budget(studio) -> Decimal:
    return Project.objects.get(pk=studio.project.pk).budget


def test_owner_changes_the_budget_in_place(client, studio, django_assert_num_queries):
    make_take(studio.shot, cost="1.60", finished=days_ago(1))
    client.force_login(studio.alice)
    # user, project (+team); in the service: savepoint, membership (the role check),
    # the project locked, its spent and reserved, the update, the log line, release; then the
    # card's figures and the recent activity
    with django_assert_num_queries(11):
        response = client.post(budget_url(studio), {"budget": "250.5"}, **HTMX)
    assert response.status_code == 200
    assert budget(studio) == Decimal("250.50")
    card = response.text.split('id="budget"')[1].split("</section>")[0]
    assert '<span class="stat">$250.50</span>' in card
    assert '<span class="stat">$248.90</span>' in card  # remaining
    assert 'value="250.50"' in card and '<details class="budget-edit">' in card
    line = Activity.objects.get()
    assert (line.actor, line.verb, line.subject) == (
        studio.alice,
        Verb.EDITED,
        "budget from $100.00 to $250.50",
    )
    # The recent activity follows, out of band, with the new line.
    recent = response.text.split('id="recent-activity"')[1]
    assert 'hx-swap-oob="true"' in recent.split(">")[0]
    assert "edited budget from $100.00 to $250.50" in recent


def test_without_javascript_the_owner_is_sent_back_to_the_project(client, studio):
    client.force_login(studio.alice)
    response = client.post(budget_url(studio), {"budget": "80"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("project_detail", args=[studio.project.uuid])
    assert "The budget is now $80.00." in response.text
    assert budget(studio) == Decimal("80.00")


@pytest.mark.parametrize("who", ["bob", "rita", "vera"])
def test_only_owners_change_the_budget(client, studio, who):
    client.force_login(getattr(studio, who))
    response = client.post(budget_url(studio), {"budget": "1000"}, **HTMX)
    assert response.status_code == 403
    assert budget(studio) == Decimal("100.00")
    assert not Activity.objects.exists()
    with pytest.raises(PermissionDenied):
        project_budget_set(user=getattr(studio, who), project=studio.project, budget=Decimal(9))


def test_outsider_gets_404(client, studio):
    client.force_login(studio.oscar)
    assert client.post(budget_url(studio), {"budget": "1000"}).status_code == 404
    assert budget(studio) == Decimal("100.00")


def test_only_owners_see_the_budget_form(client, studio):
    url = reverse("project_detail", args=[studio.project.uuid])
    client.force_login(studio.bob)
    assert "Change the budget" not in client.get(url).text
    client.force_login(studio.alice)
    page = client.get(url).text
    assert "Change the budget" in page
    assert f'hx-post="{budget_url(studio)}" hx-target="#budget" hx-swap="outerHTML"' in page


def test_a_budget_below_spent_and_reserved_is_refused_with_the_figures(client, studio):
    make_take(studio.shot, cost="40.00", finished=days_ago(1))
    make_take(studio.shot, cost="12.40", status=TakeStatus.RUNNING)
    client.force_login(studio.alice)
    response = client.post(budget_url(studio), {"budget": "52.39"}, **HTMX)
    assert response.status_code == 200
    assert (
        "The budget cannot go below $52.40: $40.00 is already spent and $12.40 reserved "
        "for takes in progress." in response.text
    )
    assert '<details class="budget-edit" open>' in response.text
    assert 'value="52.39"' in response.text and 'aria-invalid="true"' in response.text
    assert budget(studio) == Decimal("100.00")
    assert not Activity.objects.exists()
    # Exactly what is committed is allowed: nothing left, nothing over.
    client.post(budget_url(studio), {"budget": "52.40"}, **HTMX)
    assert budget(studio) == Decimal("52.40")


def test_the_refusal_shows_on_the_page_without_javascript(client, studio):
    make_take(studio.shot, cost="40.00", finished=days_ago(1))
    client.force_login(studio.alice)
    response = client.post(budget_url(studio), {"budget": "10"})
    assert response.status_code == 200
    assert "The budget cannot go below $40.00" in response.text
    assert "<h1>Summer launch</h1>" in response.text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "Enter a number."),
        ("", "This field is required."),
        ("-5", "greater than or equal to 0"),
        ("1.234", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_bad_budgets_are_refused_with_a_message(client, studio, typed, message):
    client.force_login(studio.alice)
    response = client.post(budget_url(studio), {"budget": typed}, **HTMX)
    assert response.status_code == 200
    assert message in response.text
    assert budget(studio) == Decimal("100.00")
    assert not Activity.objects.exists()


def test_the_same_budget_again_writes_no_line(studio):
    project_budget_set(user=studio.alice, project=studio.project, budget=Decimal("100"))
    assert not Activity.objects.exists()


def test_the_service_refuses_a_negative_budget(studio):
    with pytest.raises(ValidationError):
        project_budget_set(user=studio.alice, project=studio.project, budget=Decimal("-1"))
