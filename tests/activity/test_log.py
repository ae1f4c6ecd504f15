from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from studio.activity.models import Verb
from tests.helpers import HTMX, days_ago, line

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)
# An afternoon: yesterday's noon is then a day ago (before noon it would be 23 hours ago).
AFTERNOON = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def log_url(studio) -> str:
    return reverse("project_activity", args=[studio.project.uuid])


def many_lines(studio, count: int) -> list:
    """`count` lines, one an hour, the last one newest: 'line 0' is the oldest."""
    return [
        line(studio.project, f"line {n}", at=days_ago(10, hour=0) + n * HOUR) for n in range(count)
    ]


def test_log_lists_lines_newest_first_with_who_what_and_cost(client, studio, time_machine):
    time_machine.move_to(AFTERNOON, tick=False)
    line(studio.project, "shot 1 prompt", at=days_ago(3), storyboard=studio.storyboard)
    line(
        studio.project,
        "take 2 of shot 1",
        at=days_ago(1),
        verb=Verb.GENERATED,
        storyboard=studio.storyboard,
        cost=Decimal("2.40"),
    )
    client.force_login(studio.vera)  # a viewer may read the log
    page = client.get(log_url(studio)).text
    newest, oldest = page.index("take 2 of shot 1"), page.index("shot 1 prompt")
    assert newest < oldest
    assert "<strong>alice</strong> generated take 2 of shot 1" in page
    assert '<span class="chip money" aria-label="Cost $2.40">$2.40</span>' in page
    assert "Hero spot</a>" in page
    assert "1\xa0day ago" in page and "3\xa0days ago" in page  # timesince keeps them together
    assert "Mar 17, 2026, 12:00" in page


def test_log_filters_by_storyboard_and_by_kind_without_javascript(
    client, studio, second_storyboard
):
    line(studio.project, "hero edit", at=days_ago(3), storyboard=studio.storyboard)
    line(
        studio.project,
        "hero take",
        at=days_ago(2),
        verb=Verb.GENERATED,
        storyboard=studio.storyboard,
    )
    line(
        studio.project,
        "teaser take",
        at=days_ago(1),
        verb=Verb.GENERATED,
        storyboard=second_storyboard,
    )
    client.force_login(studio.bob)
    page = client.get(log_url(studio), {"storyboard": str(studio.storyboard.uuid)}).text
    assert "hero edit" in page and "hero take" in page and "teaser take" not in page
    assert f'<option value="{studio.storyboard.uuid}" selected>' in page
    page = client.get(log_url(studio), {"kind": "generated"}).text
    assert "hero take" in page and "teaser take" in page and "hero edit" not in page
    assert '<option value="generated" selected>' in page
    both = {"kind": "generated", "storyboard": str(second_storyboard.uuid)}
    page = client.get(log_url(studio), both).text
    assert "teaser take" in page and "hero take" not in page
    page = client.get(log_url(studio), {"kind": "exported"}).text
    assert "Nothing matches this filter." in page


def test_unknown_filter_values_show_everything(client, studio):
    line(studio.project, "kept", at=days_ago(1))
    client.force_login(studio.bob)
    page = client.get(log_url(studio), {"kind": "hacked", "storyboard": "nope"}).text
    assert "kept" in page


def test_outsider_gets_404(client, studio):
    line(studio.project, "secret", at=days_ago(1))
    client.force_login(studio.oscar)
    assert client.get(log_url(studio)).status_code == 404


def test_another_projects_lines_are_not_shown(client, studio):
    from studio.projects.models import Project

    other = Project.objects.create(team=studio.team, name="Other", budget=Decimal("5"))
    line(other, "elsewhere", at=days_ago(1))
    client.force_login(studio.bob)
    assert "elsewhere" not in client.get(log_url(studio)).text


def test_older_continues_after_the_last_line_shown(client, studio):
    many_lines(studio, 60)
    client.force_login(studio.bob)
    page = client.get(log_url(studio))
    shown = page.context["lines"]
    assert [a.subject for a in shown[:2]] == ["line 59", "line 58"]
    assert len(shown) == 50 and shown[-1].subject == "line 10"
    older = page.context["older_url"]
    assert f'href="{older.replace("&", "&amp;")}"' in page.text
    # A line written meanwhile neither shifts the next page nor repeats on it.
    line(studio.project, "newer", at=days_ago(0, 23))
    more = client.get(older, **HTMX)
    assert [a.subject for a in more.context["lines"]] == [f"line {n}" for n in range(9, -1, -1)]
    assert "<html" not in more.text and "Older" not in more.text
    assert more.text.count('class="activity-line"') == 10


def test_older_keeps_the_filter(client, studio):
    for n in range(55):
        line(studio.project, f"gen {n}", at=days_ago(5) + n * HOUR, verb=Verb.GENERATED)
    line(studio.project, "an edit", at=days_ago(6))
    client.force_login(studio.bob)
    older = client.get(log_url(studio), {"kind": "generated"}).context["older_url"]
    assert "kind=generated" in older
    rest = client.get(older, **HTMX).context["lines"]
    assert [a.subject for a in rest] == [f"gen {n}" for n in range(4, -1, -1)]


def test_same_lines_with_the_same_time_page_by_id(client, studio):
    at = days_ago(1)
    for n in range(51):
        line(studio.project, f"same {n}", at=at)
    client.force_login(studio.bob)
    first = client.get(log_url(studio))
    rest = client.get(first.context["older_url"], **HTMX).context["lines"]
    assert [a.subject for a in rest] == ["same 0"]


@pytest.mark.parametrize("count", [3, 60])
def test_log_query_count_does_not_grow_with_lines(
    client, studio, second_storyboard, django_assert_num_queries, count
):
    for n in range(count):
        line(
            studio.project,
            f"line {n}",
            at=days_ago(1) + n * HOUR / 60,
            storyboard=(studio.storyboard, second_storyboard, None)[n % 3],
            cost=Decimal("1.60"),
        )
    client.force_login(studio.bob)
    # user, project (+team), lines (+storyboard), the top bar's memberships, the
    # gateway's pause banner, storyboards for the filter
    with django_assert_num_queries(6):
        page = client.get(log_url(studio))
    assert page.text.count('class="activity-line"') == min(count, 50)
    if count > 50:
        # The "Older" fragment: user, project (+team), lines (+storyboard)
        with django_assert_num_queries(3):
            more = client.get(page.context["older_url"], **HTMX)
        assert more.text.count('class="activity-line"') == count - 50
        assert more["Vary"].count("HX-Request") == 1


def test_project_page_shows_the_last_eight_lines_and_links_to_the_log(client, studio):
    many_lines(studio, 10)
    client.force_login(studio.vera)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    recent = page.split('id="recent-activity"')[1].split("</section>")[0]
    assert recent.count('class="activity-line"') == 8
    assert "line 9" in recent and "line 2" in recent and "line 1<" not in recent
    assert f'href="{reverse("project_activity", args=[studio.project.uuid])}"' in recent


def test_project_page_without_activity_says_so(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "Nothing has happened yet." in page
