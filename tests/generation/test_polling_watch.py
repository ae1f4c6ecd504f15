"""What the studio records of each take's finish (the interval polling saw, its lag), what
the plan learns from it, and the polling page that shows operators the recent p95 lag."""

import math
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from studio.generation import polling, render_history, services, steps
from studio.generation.models import Take
from studio.generation.render_fit import Observation
from tests.factories import make_shot, make_take
from tests.helpers import new_take, poll_until_done

pytestmark = pytest.mark.django_db


def test_a_poll_that_sees_the_take_done_records_the_interval_and_a_time_inside_it(gateway, studio):
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take = poll_until_done(take)
    assert take.done_seen_at is not None and not take.done_seen_by_webhook
    assert take.last_seen_running_at is not None  # the simulator's job queues first
    assert take.last_seen_running_at <= take.gateway_done_at <= take.done_seen_at
    assert take.done_seen_at <= take.finished_at


def finished_takes(
    studio, lags: list[tuple[float, float, float, float]], *, planned: bool = True
) -> None:
    """Takes finished an hour ago: each (last seen running, first seen done, had completed,
    took), in seconds after its submit; `took` is where gateway_done_at puts its finish.
    `planned`: polled on a learned plan (its first poll 40 s after the submit)."""
    studio.project.budget = Decimal("10000.00")  # the history was paid for
    studio.project.save()
    base = timezone.now() - timedelta(hours=1)
    for index, (running, seen, completed, took) in enumerate(lags):
        sent = base + timedelta(seconds=index)
        make_take(
            studio.shot,
            index + 1,
            submitted_at=sent,
            last_seen_running_at=sent + timedelta(seconds=running) if running else None,
            done_seen_at=sent + timedelta(seconds=seen),
            gateway_done_at=sent + timedelta(seconds=took),
            finished=sent + timedelta(seconds=completed),
            earliest_ready_at=sent + timedelta(seconds=40) if planned else None,
        )


def test_render_history_reads_polls_and_webhooks_as_intervals_and_old_takes_as_before():
    """A webhook with the gateway's time: the second after it (not before the submit, whatever
    the clocks say); one recorded at its arrival (before the time was read), since the take
    was last seen running, as a poll."""
    now = timezone.now()

    def seconds(value: float):
        return now + timedelta(seconds=value)

    planned = seconds(45)
    polled = (4, now, seconds(60), seconds(65.6), seconds(62), False, seconds(65.8), planned, 1)
    early = (4, now, None, seconds(45), seconds(41), False, seconds(45.2), planned, 2)
    hooked = (4, now, seconds(30), seconds(70), seconds(68), True, seconds(70.2), planned, 3)
    arrived = (4, now, seconds(30), seconds(70), seconds(70), True, seconds(70.2), planned, 4)
    before = (4, now, seconds(60), None, seconds(62.8), False, seconds(66), planned, 5)
    skewed = (4, now, None, seconds(5), seconds(-2), True, seconds(5.2), planned, 6)
    assert render_history.observation(polled) == Observation(60, 65.6)
    assert render_history.observation(early) == Observation(0, 45)
    assert render_history.observation(hooked) == Observation(68, 69)
    assert render_history.observation(arrived) == Observation(30, 70)
    assert render_history.observation(before) == Observation(62.8, 62.8)
    assert render_history.observation(skewed) == Observation(0, 1)


def test_a_lag_over_target_brings_the_next_takes_first_poll_forward(
    studio, django_assert_num_queries
):
    """A hundred takes seen by polls 5.6 s apart, but completed 10 s after the poll that saw
    each (a slow store): their lag is over 10 s, so the next take's first poll keeps 6/lag of
    its grace, or rather the least, half."""
    slow = [(60.0 + i / 10, 65.6 + i / 10, 75.6 + i / 10, 63.0 + i / 10) for i in range(100)]
    finished_takes(studio, slow)
    take = Take.objects.get(pk=new_take(studio).pk)
    # The take's model (its fallback), then its duration's takes and the others'.
    with django_assert_num_queries(3):
        times = steps.render_times(take)
    # Each finished in the 5.6 s before the poll that saw it, and was completed 10 s after it:
    # 5% were more than 10 + 0.95 x 5.6 s late (the fit leans each interval towards its
    # median, 67.7 s, from either side; over all of them that about cancels).
    assert times.learned and times.lag_p95 == pytest.approx(10 + 0.95 * 5.6, abs=0.02)
    assert times.grace_share() == polling.MIN_GRACE_SHARE
    grace = steps.poll_intervals().first_poll_grace
    on_time = polling.RenderTimes(times.median, times.spread, True, times.margin, lag_p95=5.0)
    assert times.first_poll(grace) == pytest.approx(
        on_time.first_poll(grace) - grace.total_seconds() / 2
    )


def test_takes_done_before_their_first_poll_are_timed_by_what_is_learned_now(studio):
    """A plan whose fast tail was too thin polled first at 52 s where a third of these takes
    (median 60 s, spread 0.3) were done, and put each of those just before that poll, as its
    own render times said (gateway_done_at 51.5 s). What is learned from the same takes now
    places them about 8 s earlier: the lag is over target, and the next first poll comes sooner."""
    draw = random.Random(7)
    takes = []
    for _ in range(150):
        done = 60 * math.exp(0.3 * draw.gauss(0, 1))
        if done <= 52:
            takes.append((0.0, 52.0, 52.2, 51.5))  # never seen running; the plan's time
            continue
        running = 52 + 5 * math.floor((done - 52) / 5)
        takes.append((running, running + 5, running + 5.2, running + 2.5))
    finished_takes(studio, takes)
    times = steps.render_times(Take.objects.get(pk=new_take(studio).pk))
    assert 0.25 < times.spread < 0.4
    assert times.lag_p95 > polling.LAG_TARGET
    assert times.grace_share() < 1


def test_takes_polled_before_anything_was_learned_teach_render_times_but_not_the_lag(studio):
    """Polled every few seconds, thinning out to 8 s, their lag says nothing of the plan's."""
    slow = [(60.0 + i / 10, 68.0 + i / 10, 78.2 + i / 10, 64.0 + i / 10) for i in range(100)]
    finished_takes(studio, slow, planned=False)
    times = steps.render_times(Take.objects.get(pk=new_take(studio).pk))
    assert times.learned and times.lag_p95 is None and times.grace_share() == 1


def watched_page(client, studio, django_assert_num_queries, durations: int = 1):
    """The page as staff see it: the user, the models with finished takes,
    for the one model its durations and one query per duration for its takes, then the base
    page's teams and pause banner."""
    staff = User.objects.create_user("operator", is_staff=True)
    client.force_login(staff)
    with django_assert_num_queries(5 + durations):
        return client.get(reverse("polling_watch"))


def test_staff_see_each_models_learned_times_and_recent_p95_lag(
    client, studio, django_assert_num_queries
):
    fine = [(55.0 + i / 10, 60.6 + i / 10, 60.8 + i / 10, 58.0 + i / 10) for i in range(120)]
    finished_takes(studio, fine)
    response = watched_page(client, studio, django_assert_num_queries)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Veo 3.1" in page and "<td>120</td>" in page
    (row,) = response.context["rows"]
    assert row.duration == studio.shot.duration and row.takes == 120
    # Finished in the 5.6 s before the poll that saw it, and stored 0.2 s after: 5% were more
    # than 0.2 + 0.95 x 5.6 s late (the fit's lean inside each interval cancels over them).
    assert row.times.lag_p95 == pytest.approx(0.2 + 0.95 * 5.6, abs=0.02)
    assert f"{row.times.lag_p95:.1f} s" in page and "over target" not in page
    # The margin is the standard error of the first poll's log-percentile, not of the spread.
    assert f"<td>{row.times.spread:.2f}</td>" in page
    assert f"known to ± {round(row.times.margin * 100)}%" in page


def test_each_duration_shows_what_its_next_takes_plan_learns(
    client, studio, django_assert_num_queries
):
    """Three durations, the 4 s ones few: a 4 s take's plan learns from them and the latest 200
    of the 6 s and 8 s takes together, and so does the page's 4 s row (not from 200 of each);
    a 6 s take's from the latest 200 of its own 250 and of the others."""
    studio.project.budget = Decimal("10000.00")
    studio.project.save()
    base = timezone.now() - timedelta(hours=1)
    draw = random.Random(3)
    shots = {
        length: make_shot(studio.storyboard, 10 + length, video_model=studio.veo, duration=length)
        for length in (4, 6, 8)
    }
    for index in range(550):
        length = 4 if index % 11 == 0 else (6 if index % 2 else 8)
        render = (40 + 6 * length) * math.exp((0.2 + length / 40) * draw.gauss(0, 1))
        sent = base + timedelta(seconds=index)
        make_take(
            shots[length],
            submitted_at=sent,
            last_seen_running_at=sent + timedelta(seconds=render - 2),
            done_seen_at=sent + timedelta(seconds=render + 2),
            finished=sent + timedelta(seconds=render + 2.2),
            earliest_ready_at=sent + timedelta(seconds=30),
        )
    response = watched_page(client, studio, django_assert_num_queries, durations=3)
    rows = {row.duration: row for row in response.context["rows"]}
    assert sorted(rows) == [4, 6, 8] and rows[4].takes == 50 and rows[6].takes == 200
    for length, shot in shots.items():
        planned = steps.render_times(services.take_create(user=studio.bob, shot=shot))
        assert rows[length].times == planned, length


def test_a_lag_over_target_is_flagged_on_the_page(client, studio, django_assert_num_queries):
    slow = [(60.0 + i / 10, 65.6 + i / 10, 75.6 + i / 10, 63.0 + i / 10) for i in range(100)]
    finished_takes(studio, slow)
    response = watched_page(client, studio, django_assert_num_queries)
    (row,) = response.context["rows"]
    page = response.content.decode()
    assert row.times.lag_p95 > polling.LAG_TARGET and f"{row.times.lag_p95:.1f} s" in page
    assert "over target: first polls 0.50 of the grace" in page


@pytest.mark.parametrize("who", ["alice", "oscar"])
def test_members_and_outsiders_get_404(client, studio, who):
    """It spans every team's takes: a team's owner is no operator, and an outsider less so."""
    finished_takes(studio, [(55.0, 60.6, 60.8, 58.0)] * 12)
    client.force_login(getattr(studio, who))
    assert client.get(reverse("polling_watch")).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("polling_watch"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
