import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from studio.generation.charts import dollars, nice_step, spend_chart
from studio.generation.ledger import DaySpend, project_costs, project_spend_per_day
from studio.generation.models import TakeStatus
from tests.factories import make_take
from tests.helpers import days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(
    params=["2026-06-17T15:00:00+00:00", "2026-03-01T18:00:00+00:00", "2027-01-01T18:00:00+00:00"],
    ids=["mid-month", "first-of-march", "new-years-day"],
)
def frozen_day(request, time_machine) -> None:
    """Days counted back from a frozen evening (a test that straddled midnight would see two
    todays), including the first of a month and of a year, whose last days are in the month
    and the year before. Asked for with usefixtures, so that it runs before the rows are made."""
    time_machine.move_to(datetime.fromisoformat(request.param), tick=False)


def page_of(client, studio) -> str:
    client.force_login(studio.bob)
    return client.get(reverse("project_detail", args=[studio.project.uuid])).text


def table_rows(page: str) -> list[list[str]]:
    """The chart's data table as text cells, header row first."""
    table = page.split('<table class="spend-table">')[1].split("</table>")[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


@pytest.mark.usefixtures("frozen_day")
def test_chart_stacks_each_days_spend_per_storyboard(client, studio, second_storyboard):
    teaser_shot = second_storyboard.shots.get()
    make_take(studio.shot, cost="1.60", finished=days_ago(2, hour=9))
    make_take(studio.shot, cost="2.40", finished=days_ago(2, hour=18))
    make_take(teaser_shot, cost="4.00", finished=days_ago(2))
    make_take(studio.shot, cost="0.80", finished=days_ago(0))
    # Not spent: running (reserved), failed and cancelled (never charged).
    make_take(studio.shot, cost="9.00", status=TakeStatus.RUNNING)
    make_take(studio.shot, cost="9.00", status=TakeStatus.FAILED)
    make_take(teaser_shot, cost="9.00", status=TakeStatus.CANCELLED)
    page = page_of(client, studio)
    two_days_ago, today = days_ago(2).date(), days_ago(0).date()
    assert table_rows(page) == [
        ["Day", "Hero spot", "Teaser", "Total"],
        [f"{two_days_ago:%b} {two_days_ago.day}, {two_days_ago.year}", "$4.00", "$4.00", "$8.00"],
        [f"{today:%b} {today.day}, {today.year}", "$0.80", "$0.00", "$0.80"],
        ["Total", "$4.80", "$4.00", "$8.80"],
    ]
    # Three bars' segments: Hero spot and Teaser stacked two days ago, Hero spot today.
    bars = re.findall(r'<rect class="(spend-series-\d)"[^>]*><title>([^<]*)</title>', page)
    assert bars == [
        ("spend-series-0", f"Hero spot, {two_days_ago:%b} {two_days_ago.day}: $4.00"),
        ("spend-series-1", f"Teaser, {two_days_ago:%b} {two_days_ago.day}: $4.00"),
        ("spend-series-0", f"Hero spot, {today:%b} {today.day}: $0.80"),
    ]
    assert 'role="img" aria-labelledby="spend-chart-title spend-chart-desc"' in page
    assert "$8.80 in total (Hero spot $4.80, Teaser $4.00)" in page
    assert 'viewBox="0 0 720 260" width="100%"' in page
    assert "style=" not in page.split('class="spend-chart"')[1].split("</svg>")[0]
    # The axis is labelled in dollars, from $0 up past the busiest day.
    labels = re.findall(r'text-anchor="end" dominant-baseline="middle">([^<]*)<', page)
    assert labels == ["$0", "$2", "$4", "$6", "$8"]
    # The spent figure above the chart is the chart's total.
    assert '<span class="stat-label">Spent</span><span class="stat">$8.80</span>' in page


def test_a_billed_take_the_studio_refused_counts_as_spent(client, studio):
    refused = make_take(studio.shot, cost="1.60", finished=days_ago(1))
    refused.status = TakeStatus.FAILED  # the gateway billed it; the file was unusable
    refused.save(update_fields=["status"])
    assert table_rows(page_of(client, studio))[-1] == ["Total", "$1.60", "$1.60"]


@pytest.mark.usefixtures("frozen_day")
def test_spend_per_day_adds_up_to_the_projects_spent(studio, second_storyboard):
    for days, cost in ((40, "3.20"), (12, "1.60"), (1, "0.40")):
        make_take(studio.shot, cost=cost, finished=days_ago(days))
    make_take(second_storyboard.shots.get(), cost="2.00", finished=days_ago(12))
    total, _ = project_costs(studio.project)
    spend = project_spend_per_day(studio.project)
    assert sum(row.spent for row in spend) == total.spent == Decimal("7.20")


@pytest.mark.usefixtures("frozen_day")
def test_only_the_last_thirty_days_are_drawn_and_earlier_spend_is_noted(client, studio):
    make_take(studio.shot, cost="3.20", finished=days_ago(40))
    make_take(studio.shot, cost="1.60", finished=days_ago(3))
    page = page_of(client, studio)
    start = days_ago(29).date()
    assert f"$3.20 was spent before {start:%b} {start.day}." in page
    assert table_rows(page)[-1] == ["Total", "$1.60", "$1.60"]
    assert page.count('<rect class="spend-series') == 1


def test_empty_state_before_anything_is_spent(client, studio):
    make_take(studio.shot, cost="1.60", status=TakeStatus.RUNNING)
    page = page_of(client, studio)
    assert "Nothing spent yet: the chart starts with the first finished take." in page
    assert "<svg" not in page.split('id="spend-title"')[1].split("</section>")[0]


def test_chart_geometry_stays_in_its_box_and_in_proportion():
    today = date(2026, 6, 30)
    spend = [
        DaySpend(day=today - timedelta(days=1), storyboard_id=1, spent=Decimal("12.00")),
        DaySpend(day=today - timedelta(days=1), storyboard_id=2, spent=Decimal("3.00")),
        DaySpend(day=today, storyboard_id=2, spent=Decimal("7.50")),
    ]
    chart = spend_chart(spend, [(1, "A"), (2, "B"), (3, "Unused")], today=today)
    assert [s.title for s in chart.series] == ["A", "B"]
    assert len(chart.columns) == 7  # at least a week, so one day is not one huge bar
    assert chart.start == today - timedelta(days=6) and chart.end == today
    assert [t.label for t in chart.ticks] == ["$0", "$5", "$10", "$15"]
    big, small = chart.columns[-2].segments
    # $12 and $3 stacked: 4 to 1 in height, the top of the stack at $15 (the top tick).
    assert Decimal(big.height) == 4 * Decimal(small.height)
    assert Decimal(small.y) == Decimal(chart.ticks[-1].y)
    assert Decimal(big.y) + Decimal(big.height) == chart.baseline
    for segment in (big, small, *chart.columns[-1].segments):
        assert chart.left <= Decimal(segment.x) < chart.right_edge
    assert chart.total == Decimal("22.50")


def test_nothing_to_draw_without_spend():
    assert spend_chart([], [(1, "A")], today=date(2026, 6, 30)) is None


@pytest.mark.parametrize(
    ("top", "step"), [(1, 1), (100, 50), (160, 50), (801, 500), (1500, 500), (99_999, 50_000)]
)
def test_axis_steps_are_round_amounts(top, step):
    assert nice_step(top) == step


def test_axis_labels_drop_zero_cents():
    assert [dollars(c) for c in (0, 50, 200, 125_000)] == ["$0", "$0.50", "$2", "$1,250"]
