"""A take's status moves only as models.MOVES allows: the one writer refuses the rest before
touching the database, and the pipeline's own flows make only listed moves."""

from itertools import product

import pytest
from django.urls import reverse

from studio.generation import services, steps
from studio.generation.models import MOVES, IllegalMove, Take, TakeQuerySet, TakeStatus
from tests.factories import make_take
from tests.helpers import new_take, poll_until_done

pytestmark = pytest.mark.django_db

FINAL = {TakeStatus.COMPLETED, TakeStatus.FAILED, TakeStatus.CANCELLED}


def test_the_table_names_every_status_and_only_statuses():
    assert set(MOVES) == set(TakeStatus)
    assert all(to <= set(TakeStatus) for to in MOVES.values())


@pytest.mark.parametrize(("old", "new"), list(product(TakeStatus, TakeStatus)))
def test_a_move_succeeds_exactly_when_the_table_allows_it(
    studio, old, new, django_assert_num_queries
):
    take = make_take(studio.shot, status=old, error_message="as it was")
    writes = Take.objects.filter(pk=take.pk)
    if new in MOVES[old]:
        assert writes.transition(from_statuses=[old], status=new, error_message="moved") == 1
        take.refresh_from_db()
        assert (take.status, take.error_message) == (new, "moved")
    else:
        # Refused before the database is touched.
        with django_assert_num_queries(0), pytest.raises(IllegalMove):
            writes.transition(from_statuses=[old], status=new, error_message="moved")
        take.refresh_from_db()
        assert (take.status, take.error_message) == (old, "as it was")


def test_a_move_is_refused_if_any_of_its_from_statuses_may_not_make_it(studio):
    take = make_take(studio.shot, status=TakeStatus.RUNNING)
    with pytest.raises(IllegalMove, match="pending"):
        Take.objects.filter(pk=take.pk).transition(
            from_statuses=[TakeStatus.RUNNING, TakeStatus.PENDING], status=TakeStatus.CANCELLING
        )
    take.refresh_from_db()
    assert take.status == TakeStatus.RUNNING


def test_a_take_that_moved_on_meanwhile_is_left_alone(studio):
    take = make_take(studio.shot, status=TakeStatus.CANCELLED)
    moved = Take.objects.filter(pk=take.pk).transition(
        from_statuses=[TakeStatus.RUNNING], status=TakeStatus.COMPLETED
    )
    take.refresh_from_db()
    assert (moved, take.status) == (0, TakeStatus.CANCELLED)


def test_every_status_is_reachable_and_every_working_one_can_end():
    reached, frontier = {TakeStatus.PENDING}, [TakeStatus.PENDING]
    while frontier:
        for new in MOVES[frontier.pop()] - reached:
            reached.add(new)
            frontier.append(new)
    assert reached == set(TakeStatus)
    for status in set(TakeStatus) - FINAL:
        ends, frontier = set(), [status]
        while frontier:
            for new in MOVES[frontier.pop()] - ends:
                ends.add(new)
                frontier.append(new)
        assert ends & FINAL, status
    # A retry makes a new take: a finished one never moves again.
    assert all(not MOVES[status] for status in FINAL)


@pytest.fixture
def moves(monkeypatch) -> list[tuple[str, str]]:
    """Every (from, to) status pair the writer moved a take through."""
    made: list[tuple[str, str]] = []
    write = TakeQuerySet.transition

    def recording(self, *, from_statuses, **fields):
        before = dict(self.values_list("pk", "status"))
        moved = write(self, from_statuses=from_statuses, **fields)
        if "status" in fields and moved:
            after = dict(Take.objects.filter(pk__in=before).values_list("pk", "status"))
            made.extend((before[pk], after[pk]) for pk in before if before[pk] in from_statuses)
        return moved

    monkeypatch.setattr(TakeQuerySet, "transition", recording)
    return made


def test_the_pipeline_makes_only_listed_moves(gateway, studio, moves):
    done = new_take(studio)
    steps.take_submit(take_id=done.pk)
    assert poll_until_done(done).status == TakeStatus.COMPLETED
    stopped = new_take(studio)
    steps.take_submit(take_id=stopped.pk)
    stopped.refresh_from_db()
    services.take_request_cancel(user=studio.bob, take=stopped)
    steps.take_cancel(take_id=stopped.pk)
    never_sent = new_take(studio)
    services.take_request_cancel(user=studio.bob, take=never_sent)
    lost = make_take(studio.shot, status=TakeStatus.UNCONFIRMED)
    services.take_check_again(user=studio.bob, take=lost)
    assert moves and all(new in MOVES[old] for old, new in moves), moves
    assert {
        (TakeStatus.PENDING, TakeStatus.SUBMITTING),
        (TakeStatus.PENDING, TakeStatus.CANCELLED),
        (TakeStatus.UNCONFIRMED, TakeStatus.PENDING),
    } <= set(moves)
    assert {new for _, new in moves} >= {TakeStatus.COMPLETED, TakeStatus.CANCELLING}


def test_the_admin_shows_a_takes_status_but_cannot_move_it(admin_client, studio):
    take = make_take(studio.shot, status=TakeStatus.RUNNING, gateway_job_id="job_1")
    url = reverse("admin:generation_take_change", args=[take.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="status"' not in page.text
    admin_client.post(url, {"status": TakeStatus.COMPLETED, "prompt": take.prompt})
    take.refresh_from_db()
    assert take.status == TakeStatus.RUNNING
