"""storyboard_version moves with everything the board draws, and with nothing else, in a
fixed number of queries. Its row is plain SQL: these run on PostgreSQL too (`make test`)."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from studio.brands.models import DEFAULT_FONT, Element
from studio.brands.services import KitFields, brand_kit_update, element_update
from studio.catalog.models import VideoModel
from studio.generation.models import Take, TakeStatus
from studio.generation.services import take_select
from studio.projects.live import pulse
from studio.projects.models import Presence, Shot, Storyboard
from studio.projects.services import (
    presence_touch,
    shot_delete,
    shot_part_set,
    shot_restore,
    shots_reorder,
)
from studio.projects.versions import slow_version, storyboard_version
from studio.review.models import Comment
from studio.review.services import Guest, comment_add, comment_resolve, review_decide
from studio.teams.models import Membership, ReviewRule, Role
from studio.teams.services import membership_set_role, team_set_review_rule
from tests.factories import make_brand_kit, make_link, make_shot, make_take, take_row

pytestmark = pytest.mark.postgres


@pytest.fixture
def clock(studio):
    # Each change happens a second after the last (from the studio's own writes on): a
    # timestamp that moves, never a tie.
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def board(studio, clock):
    shots = [
        studio.shot,
        *(make_shot(studio.storyboard, n, video_model=studio.veo) for n in (2, 3)),
    ]
    takes = [make_take(shot) for shot in shots]
    return studio, shots, takes


def moved(studio, clock, change) -> bool:
    before = storyboard_version(studio.storyboard)
    clock.shift(1)
    change()
    return storyboard_version(studio.storyboard) != before


def test_version_is_a_short_stable_string(board):
    studio, _, _ = board
    version = storyboard_version(studio.storyboard)
    assert version == storyboard_version(studio.storyboard)
    assert 8 <= len(version) <= 32


def test_shots_changes_move_it(board, clock):
    studio, shots, _ = board
    alice = studio.alice
    assert moved(studio, clock, lambda: make_shot(studio.storyboard, 4, video_model=studio.veo))
    assert moved(studio, clock, lambda: shot_part_set(user=alice, shot=shots[0], part="hook"))
    uuids = [str(shot.uuid) for shot in reversed(studio.storyboard.shots.all())]
    assert moved(
        studio,
        clock,
        lambda: shots_reorder(user=alice, storyboard=studio.storyboard, shot_uuids=uuids),
    )
    assert moved(studio, clock, lambda: shot_delete(user=alice, shot=shots[1]))
    assert moved(
        studio, clock, lambda: shot_restore(user=alice, shot=Shot.all_objects.get(pk=shots[1].pk))
    )
    assert moved(studio, clock, lambda: Shot.all_objects.filter(pk=shots[2].pk).delete())


def test_takes_changes_move_it(board, clock):
    studio, shots, takes = board
    assert moved(studio, clock, lambda: make_take(shots[0], status=TakeStatus.QUEUED))
    assert moved(studio, clock, lambda: take_select(user=studio.alice, take=takes[1]))
    queued = Take.objects.filter(status=TakeStatus.QUEUED)
    # A bulk status change, as the worker writes it.
    assert moved(
        studio,
        clock,
        lambda: queued.transition(from_statuses=[TakeStatus.QUEUED], status=TakeStatus.RUNNING),
    )


def test_a_write_older_than_the_latest_moves_it(board, clock):
    # A worker whose clock is behind, or a transaction that took its time before another
    # committed: neither the count nor the latest timestamp moves.
    studio, shots, takes = board
    latest = timezone.now()
    Take.objects.filter(pk=takes[2].pk).update(updated_at=latest)
    Shot.objects.filter(pk=shots[2].pk).update(updated_at=latest)
    earlier = latest - timedelta(seconds=1)
    assert moved(
        studio,
        clock,
        lambda: Take.objects.filter(pk=takes[0].pk).update(status="failed", updated_at=earlier),
    )
    assert moved(
        studio,
        clock,
        lambda: Shot.objects.filter(pk=shots[0].pk).update(prompt="A dune", updated_at=earlier),
    )


def test_slow_version_moves_with_what_the_pulse_does_not_see(board, clock):
    studio, shots, _ = board
    now = timezone.now()
    before = slow_version(studio.storyboard, now=now)
    Shot.objects.filter(pk=shots[0].pk).update(prompt="A dune", updated_at=now)
    make_take(shots[1])
    assert slow_version(studio.storyboard, now=now) == before
    VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("0.9"))
    assert slow_version(studio.storyboard, now=now) != before


def test_review_changes_move_it(board, clock):
    studio, _, takes = board
    take = takes[0]
    assert moved(
        studio, clock, lambda: review_decide(target=take, state="approved", user=studio.rita)
    )
    comment: list[Comment] = []
    assert moved(
        studio,
        clock,
        lambda: comment.append(comment_add(target=take, body="Brighter", user=studio.rita)),
    )
    assert moved(studio, clock, lambda: comment_resolve(user=studio.alice, comment=comment[0]))


def test_review_changes_without_a_timestamp_move_it(board, clock):
    studio, _, takes = board
    review_decide(target=takes[0], state="approved", user=studio.rita)
    Comment.objects.create(take=takes[0], body="Nice", author=studio.rita)
    # A deleted account: its decisions stop counting, its comments lose their author.
    assert moved(studio, clock, lambda: studio.rita.delete())


def test_a_guest_link_expiring_moves_it(board, clock):
    studio, _, takes = board
    link = make_link(studio.storyboard, studio.alice, days=1)
    review_decide(target=takes[0], state="approved", guest=Guest(link=link, name="Cleo"))
    before = storyboard_version(studio.storyboard)
    assert storyboard_version(studio.storyboard, now=timezone.now() + timedelta(days=2)) != before


def test_project_team_and_kit_changes_move_it(board, clock):
    studio, _, _ = board
    kit: list = []
    assert moved(
        studio, clock, lambda: kit.append(make_brand_kit(studio.project, {"hero": "A lemon"}))
    )
    values = KitFields(
        name="Lemonade", primary_colour="#111111", secondary_colour="#FFFFFF", font=DEFAULT_FONT
    )
    assert moved(
        studio,
        clock,
        lambda: brand_kit_update(
            user=studio.alice, kit=kit[0], values=replace(values, style_line="Warm film")
        ),
    )
    element = Element.objects.get(kit=kit[0])
    assert moved(
        studio,
        clock,
        lambda: element_update(
            user=studio.alice, element=element, name="hero", description="A lime"
        ),
    )
    assert moved(
        studio,
        clock,
        lambda: team_set_review_rule(
            user=studio.alice, team=studio.team, rule=ReviewRule.values[-1]
        ),
    )
    bob = Membership.objects.get(user=studio.bob)
    assert moved(
        studio,
        clock,
        lambda: membership_set_role(user=studio.alice, membership=bob, role=Role.OWNER),
    )
    assert moved(
        studio,
        clock,
        lambda: VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("0.9")),
    )
    assert moved(
        studio,
        clock,
        lambda: Storyboard.objects.filter(pk=studio.storyboard.pk).update(title="New"),
    )


def test_what_the_board_does_not_draw_leaves_it(board, clock, second_storyboard):
    studio, _, _ = board
    assert not moved(
        studio, clock, lambda: presence_touch(storyboard=studio.storyboard, user=studio.bob)
    )
    assert not moved(studio, clock, lambda: make_shot(second_storyboard, 2, video_model=studio.veo))
    assert not moved(studio, clock, lambda: make_take(second_storyboard.shots.first()))
    assert Presence.objects.exists()


@pytest.mark.parametrize("count", [1, 12])
def test_query_count_is_constant(studio, django_assert_num_queries, count):
    for n in range(2, count + 2):
        shot = make_shot(studio.storyboard, n, video_model=studio.veo)
        take = make_take(shot)
        Comment.objects.create(take=take, body="Hm", author=studio.rita)
    # One row of aggregates, the prices; and the kit's elements when there is a kit.
    with django_assert_num_queries(2):
        storyboard_version(studio.storyboard)
    make_brand_kit(studio.project, {"hero": "A lemon"})
    with django_assert_num_queries(3):
        storyboard_version(studio.storyboard)


def test_the_sql_runs_on_sqlite_before_unixepoch(studio):
    # unixepoch() came with SQLite 3.38; Django 6.1 accepts 3.37 (Ubuntu 22.04's).
    with CaptureQueriesContext(connection) as queries:
        storyboard_version(studio.storyboard)
        pulse(studio.storyboard)
    assert queries.captured_queries
    assert not any("unixepoch" in query["sql"].lower() for query in queries.captured_queries)


def test_thousands_of_takes_do_not_overflow_the_sums(client, studio, clock):
    # Whole epoch microseconds (1.8e15 each) overflowed SQLite's integer SUM past ~5,000 rows,
    # and the pulse counts the shot's stamp once per take. The takes are on a deleted shot:
    # the sums read them all, the page draws none of them (it would take seconds).
    shot = make_shot(studio.storyboard, 2, video_model=studio.veo)
    Take.objects.bulk_create([take_row(shot, n) for n in range(1, 6001)], batch_size=500)
    Shot.all_objects.filter(pk=shot.pk).update(deleted_at=timezone.now())
    client.force_login(studio.alice)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    assert page.status_code == 200
    url = reverse("storyboard_live", args=[studio.storyboard.uuid])
    assert client.get(url, {"since": ""}, HTTP_HX_REQUEST="true").status_code == 200
    first = Take.objects.filter(shot=shot).order_by("pk").first()
    assert moved(
        studio,
        clock,
        lambda: Take.objects.filter(pk=first.pk).update(
            status="failed", updated_at=first.updated_at - timedelta(seconds=1)
        ),
    )
    assert pulse(studio.storyboard)["take_count"] == 6000
