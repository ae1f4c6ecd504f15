"""Live answers shared per storyboard version (studio/projects/live.py): a board that has not
changed draws nothing, members at the same version share one drawing of what changed, and
nothing of one member's gets into another's answer."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.catalog.models import VideoModel
from studio.generation.models import Take
from studio.projects import live, services
from studio.projects.models import Presence, Shot
from studio.teams.models import Membership, Role, Team
from tests.factories import make_shot, take_row
from tests.helpers import live_poll

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def cached_parts_stay(monkeypatch):
    # Roles, kit and prices, and presence, are read again after seconds of real time (Redis
    # expires the keys): on a loaded machine a test could cross that and count more queries.
    for name in ("SLOW_PARTS_SECONDS", "MARKED_SECONDS", "PRESENT_SECONDS"):
        monkeypatch.setattr(live, name, 600)


@pytest.fixture
def renders(monkeypatch) -> list[tuple[bool, bool]]:
    """Each drawing of shots, with the kind of member it was drawn for."""
    drawn: list[tuple[bool, bool]] = []
    draw = live.draw_shots

    def counted(*args, **kwargs):
        drawn.append((kwargs["can_edit"], kwargs["can_review"]))
        return draw(*args, **kwargs)

    monkeypatch.setattr(live, "draw_shots", counted)
    return drawn


def token_of(response) -> str:
    return response.text.split('data-token="')[1].split('"')[0]


def save_prompt(client, studio, prompt: str) -> None:
    shot = Shot.objects.get(pk=studio.shot.pk)
    prefix = f"edit-{shot.pk}"
    data = {
        "title": shot.title,
        "prompt": prompt,
        "duration": shot.duration,
        "aspect_ratio": shot.aspect_ratio,
        "video_model": shot.video_model_id,
        "notes": shot.notes,
        "version": shot.version,
    }
    url = reverse("shot_update", args=[shot.uuid])
    response = client.post(url, {f"{prefix}-{name}": value for name, value in data.items()}, **HTMX)
    assert response.status_code == 200 and "data-editing" not in response.text


def count_queries(client, studio, since: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = live_poll(client, studio, since)
    assert response.status_code == 200
    return len(queries), response.text


def test_token_carries_the_version_and_when_it_was_first_answered():
    # The live version, then the slow parts' version in it.
    assert live.parse_token("0a1b2c3d4e5f60718192a3b4c5d6e7f8-1764280000.500000") == (
        "0a1b2c3d4e5f60718192a3b4c5d6e7f8",
        datetime(2025, 11, 27, 21, 46, 40, 500000, tzinfo=UTC),
    )
    # A page's token as drawn, a time alone: no version to share an answer under.
    assert live.parse_token("1764280000.5") == (
        None,
        datetime(2025, 11, 27, 21, 46, 40, 500000, tzinfo=UTC),
    )
    nonsense = ("", "soon", "abc-", "abc-nan", "abc--1", "abc-1e300", "t1764280000-1")
    for token in (*nonsense, "0a1b2c3d4e5f6071-1764280000.5"):  # a version without its slow parts
        assert live.parse_token(token) == (None, None), token


def test_unchanged_board_answers_without_drawing_shots(
    client, studio, django_assert_num_queries, renders
):
    client.force_login(studio.bob)
    token = token_of(live_poll(client, studio))  # present now, and the slow parts cached
    renders.clear()
    # user, storyboard (+project, team, role), the pulse (shots and takes), the pause banner:
    # no shot, take or membership read, and the session and presence from the cache.
    with django_assert_num_queries(4):
        response = live_poll(client, studio, token)
    assert "<template" not in response.text and renders == []
    assert token_of(response) == token
    assert "bob here" in response.text


def test_member_marked_again_is_kept_present_in_one_query(
    client, studio, django_assert_num_queries
):
    client.force_login(studio.bob)
    token = token_of(live_poll(client, studio))  # present now, and the slow parts cached
    # Their mark has run out (MARKED_SECONDS) and their row is older than PRESENCE_REFRESH.
    cache.delete(f"live:marked:{studio.storyboard.pk}:{studio.bob.pk}")
    mine = Presence.objects.get(storyboard=studio.storyboard, user=studio.bob)
    earlier = mine.last_seen - services.PRESENCE_REFRESH - timedelta(seconds=1)
    Presence.objects.filter(pk=mine.pk).update(last_seen=earlier)
    # As an unchanged board's poll (4), and the presence row written: one UPDATE, not a read
    # and a locked read in a transaction before it.
    with django_assert_num_queries(5):
        response = live_poll(client, studio, token)
    assert "bob here" in response.text
    assert Presence.objects.get(pk=mine.pk).last_seen > earlier


def test_second_member_at_the_same_version_gets_the_drawn_answer(client, studio, renders):
    Take.objects.bulk_create([take_row(studio.shot, 1)])
    client.force_login(studio.alice)
    token = token_of(live_poll(client, studio))
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake at dawn")
    renders.clear()
    drawing, first = count_queries(client, studio, token)
    client.force_login(studio.alice)  # an owner: the same rights on the page as an editor
    shared, second = count_queries(client, studio, token)

    assert renders == [(True, True)]  # drawn once, for both
    assert "A lake at dawn" in first and "A lake at dawn" in second
    assert first.count("<template data-shot") == second.count("<template data-shot") == 1
    assert "data-redraw" not in first  # what changed has new stamps
    # The second reads no shot, take or review, and the rights it is drawn for come with the
    # storyboard: as an unchanged board's poll (user, storyboard, pulse, pauses).
    assert shared == 4 < drawing


def test_an_edit_moves_the_version_and_the_next_poll_carries_the_shot(client, studio):
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    assert "<template" not in live_poll(client, studio, token).text
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake at dusk")
    client.force_login(studio.vera)
    response = live_poll(client, studio, token)
    assert token_of(response) != token
    assert f'<template data-shot="{studio.shot.uuid}"' in response.text
    assert "A lake at dusk" in response.text
    assert "<template" not in live_poll(client, studio, token_of(response)).text


def test_a_viewer_who_owns_another_team_is_drawn_as_a_viewer_here(client, studio):
    # The role comes with the storyboard (access.get_storyboard): this team's, not another's.
    elsewhere = Team.objects.create(name="Vera's own")
    Membership.objects.create(team=elsewhere, user=studio.vera, role=Role.OWNER)
    client.force_login(studio.vera)
    answer = live_poll(client, studio).text
    assert f'data-shot="{studio.shot.uuid}"' in answer and "Delete shot 1" not in answer
    client.force_login(studio.bob)
    assert "Delete shot 1" in live_poll(client, studio).text


def test_viewer_and_editor_get_their_own_drawing_with_their_own_token(client, studio, renders):
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake at noon")
    renders.clear()
    answers = {}
    for name in ("vera", "bob", "alice"):
        client.force_login(getattr(studio, name))
        answers[name] = live_poll(client, studio, token).text, client.cookies["csrftoken"].value
    assert sorted(renders) == [(False, False), (True, True)]
    viewer, _ = answers["vera"]
    assert "A lake at noon" in viewer and "Delete shot 1" not in viewer
    for name in ("bob", "alice"):
        text, secret = answers[name]
        assert "Delete shot 1" in text and live.CSRF_SLOT not in text
        tokens = {
            value.split('"')[0] for value in text.split('name="csrfmiddlewaretoken" value="')[1:]
        }
        assert tokens and {_unmask_cipher_token(each) for each in tokens} == {secret}


def test_outsider_gets_404(client, studio):
    client.force_login(studio.oscar)
    assert live_poll(client, studio).status_code == 404


def test_a_rendering_take_is_drawn_again_on_every_tick(client, studio, time_machine):
    Take.objects.bulk_create([take_row(studio.shot, 1, status="running")])
    client.force_login(studio.vera)
    time_machine.move_to(datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC), tick=False)
    token = token_of(live_poll(client, studio))
    assert "<template" not in live_poll(client, studio, token).text
    time_machine.move_to(datetime(2026, 11, 27, 12, 0, live.RENDERING_TICK_SECONDS, tzinfo=UTC))
    response = live_poll(client, studio, token)
    assert f'<template data-shot="{studio.shot.uuid}"' in response.text
    assert "1 take in progress" in response.text


def test_pages_opened_together_share_the_answer_to_their_time_tokens(
    client, studio, renders, time_machine
):
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    # A minute on (the shots are older), at the start of a slice of seconds.
    opened = (datetime.now(tz=UTC).timestamp() + 60) // 10 * 10
    time_machine.move_to(datetime.fromtimestamp(opened - 10, tz=UTC), tick=False)
    client.force_login(studio.bob)
    live_poll(client, studio)  # the slow parts seen as they are
    time_machine.move_to(datetime.fromtimestamp(opened, tz=UTC), tick=False)
    save_prompt(client, studio, "A lake at night")
    renders.clear()
    time_machine.move_to(datetime.fromtimestamp(opened + 2, tz=UTC), tick=False)
    answers = []
    # Tokens of pages as drawn (a time alone), a second apart in the same slice of seconds.
    for name, seconds in (("bob", opened), ("alice", opened + 1)):
        client.force_login(getattr(studio, name))
        answers.append(live_poll(client, studio, f"{seconds:.6f}").text)
    assert renders == [(True, True)]
    assert all("A lake at night" in answer for answer in answers)
    assert all(f'data-shot="{other.uuid}"' not in answer for answer in answers)


def test_a_token_cannot_widen_the_answer_others_share(client, studio):
    other = Shot.objects.create(
        storyboard=studio.storyboard, position=2, prompt="A pier", duration=4,
        aspect_ratio="16:9", video_model=studio.veo,
    )  # fmt: skip
    Shot.objects.filter(pk=other.pk).update(updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    client.force_login(studio.vera)
    version = token_of(live_poll(client, studio)).split("-")[0]
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake in the rain")
    client.force_login(studio.vera)
    # The version as it was, with a time long before it: drawn from when it was first answered.
    answer = live_poll(client, studio, f"{version}-0.000000").text
    assert answer.count("<template data-shot") == 1 and "A lake in the rain" in answer


def answers_kept() -> set[bytes]:
    return set(cache._cache.get_client().keys("*live:answer*"))  # type: ignore[attr-defined]


def test_a_change_to_the_slow_parts_carries_every_shot(client, studio, time_machine):
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    time_machine.move_to(datetime.now(tz=UTC) + timedelta(minutes=1))  # the shots are older
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("9.99"))
    cache.delete(f"live:slow:{studio.storyboard.pk}")  # read again, as SLOW_PARTS_SECONDS on
    response = live_poll(client, studio, token)
    # No shot was written: the price is on every card.
    assert token_of(response) != token
    for shot in (studio.shot, other):
        assert f'<template data-shot="{shot.uuid}"' in response.text
    assert "$39.96" in response.text  # 4 s at $9.99
    # The cards' stamps have not moved: the page is told to redraw them all the same.
    assert response.text.count("data-redraw>") == 2
    assert "<template" not in live_poll(client, studio, token_of(response)).text


@pytest.mark.postgres
def test_a_write_older_than_the_latest_moves_the_version(client, studio):
    # A worker whose clock is behind: neither the takes' count nor their latest time moves.
    Take.objects.bulk_create([take_row(studio.shot, 1), take_row(studio.shot, 2)])
    first, second = Take.objects.order_by("take_number")
    latest = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    Take.objects.filter(pk=first.pk).update(updated_at=latest - timedelta(seconds=2))
    Take.objects.filter(pk=second.pk).update(updated_at=latest)
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    earlier = latest - timedelta(seconds=1)
    Take.objects.filter(pk=first.pk).update(status="failed", updated_at=earlier)
    response = live_poll(client, studio, token)
    assert token_of(response) != token
    assert f'id="take-{first.uuid}"' in response.text


@pytest.mark.parametrize(
    "token",
    [
        "0123456789abcdef0123456789abcdef-0",
        "0123456789abcdef0123456789abcdef-1764280000.5",
        "0",
        "1.5",
        "253402299999",
    ],
)
def test_a_crafted_token_is_answered_for_its_request_alone(client, studio, token, time_machine):
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    time_machine.move_to(datetime.now(tz=UTC) + timedelta(minutes=1))  # the shots are older
    client.force_login(studio.bob)
    token_of(live_poll(client, studio))
    kept = answers_kept()
    response = live_poll(client, studio, token)
    assert response.status_code == 200 and answers_kept() == kept
    # A version never answered, with other slow parts than the board's: every shot. A time long
    # ago: every shot changed since. A time to come: from now (nothing changed since).
    carried = response.text.count("<template data-shot")
    assert carried == (0 if token == "253402299999" else 2)
    assert f'data-shot="{other.uuid}"' in response.text or carried == 0


def test_a_recent_time_token_is_shared_and_a_future_one_is_not(client, studio, time_machine):
    time_machine.move_to(datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC), tick=False)
    client.force_login(studio.bob)
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC).timestamp()
    kept = answers_kept()
    live_poll(client, studio, f"{now - 2:.6f}")
    assert len(answers_kept() - kept) == 1
    kept = answers_kept()
    live_poll(client, studio, f"{now + 3600:.6f}")
    live_poll(client, studio, f"{now - live.SHARED_TIME_TOKENS.total_seconds() - 1:.6f}")
    assert answers_kept() == kept


def test_a_poll_that_finds_the_slow_parts_just_read_by_another_sends_no_shot(
    client, studio, monkeypatch, time_machine
):
    """Pages opened together poll together: one reads the slow parts, and another, a moment
    later, finds them in the cache. It must also find when they were seen, or it takes them
    for moved and sends every shot, to everyone who shares its answer."""
    now = datetime.now(tz=UTC).timestamp() + 600  # ten minutes on: the shots are older
    time_machine.move_to(datetime.fromtimestamp(now, tz=UTC), tick=False)
    read = live.slow_read
    others: list[str] = []
    interrupted = []

    def with_another_poll(*args):
        if not interrupted:  # another member's poll, in the middle of this one's reading
            interrupted.append(True)
            client.force_login(studio.alice)
            others.append(live_poll(client, studio, f"{now:.6f}").text)
            client.force_login(studio.bob)
        read(*args)

    monkeypatch.setattr(live, "slow_read", with_another_poll)
    client.force_login(studio.bob)
    mine = live_poll(client, studio, f"{now:.6f}").text
    assert "<template" not in others[0] and "<template" not in mine


def test_a_page_drawn_before_the_slow_parts_moved_gets_every_shot(client, studio, time_machine):
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    # Ten minutes on (the shots are older), at the start of a slice of seconds.
    start = (datetime.now(tz=UTC).timestamp() + 600) // 10 * 10
    time_machine.move_to(datetime.fromtimestamp(start, tz=UTC), tick=False)
    client.force_login(studio.vera)
    token_of(live_poll(client, studio))  # someone else's page: the slow parts as they are
    time_machine.move_to(datetime.fromtimestamp(start + 10, tz=UTC), tick=False)
    VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("9.99"))
    cache.delete(f"live:slow:{studio.storyboard.pk}")  # read again, as SLOW_PARTS_SECONDS on
    # This page was drawn at the start, before the change; the other long before (its answer
    # is its own, not kept).
    for drawn in (start, start - 100):
        response = live_poll(client, studio, f"{drawn:.6f}")
        for shot in (studio.shot, other):
            assert f'<template data-shot="{shot.uuid}"' in response.text
        assert "$39.96" in response.text
    # A page drawn after it was seen: only what changed since.
    time_machine.move_to(datetime.fromtimestamp(start + 20, tz=UTC), tick=False)
    assert "<template" not in live_poll(client, studio, f"{start + 15:.6f}").text


def test_a_version_the_cache_forgot_is_drawn_from_its_time(client, studio, time_machine):
    # As with Redis down, where every read is a miss: not every shot for every poll.
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    time_machine.move_to(datetime.now(tz=UTC) + timedelta(minutes=1))  # the shots are older
    client.force_login(studio.bob)
    token = token_of(live_poll(client, studio))
    cache.clear()
    save_prompt(client, studio, "A lake in the rain")
    kept = answers_kept()
    response = live_poll(client, studio, token)
    assert response.text.count("<template data-shot") == 1
    assert (
        "A lake in the rain" in response.text and f'data-shot="{other.uuid}"' not in response.text
    )
    assert "data-redraw" not in response.text
    assert answers_kept() == kept  # for its request alone


def test_a_forgotten_version_with_other_slow_parts_carries_every_shot(client, studio, time_machine):
    make_shot(studio.storyboard, 2, video_model=studio.veo)
    time_machine.move_to(datetime.now(tz=UTC) + timedelta(minutes=1))  # the shots are older
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    cache.clear()
    VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("9.99"))
    response = live_poll(client, studio, token)
    assert response.text.count("<template data-shot") == 2
    assert response.text.count("data-redraw>") == 2


def test_members_polling_within_a_second_share_one_reading_of_the_board(
    client, studio, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(live, "PULSE_SECONDS", 600)  # as in production, without the clock
    client.force_login(studio.vera)
    live_poll(client, studio)  # present now; the board's pulse is read, and kept
    client.force_login(studio.bob)
    token = token_of(live_poll(client, studio))
    client.force_login(studio.vera)
    # user, storyboard (+project, team), the pause banner: not the pulse.
    with django_assert_num_queries(3):
        response = live_poll(client, studio, token)
    assert token_of(response) == token and "<template" not in response.text


def test_a_change_shows_in_the_first_poll_after_the_pulse_is_read_again(
    client, studio, monkeypatch
):
    monkeypatch.setattr(live, "PULSE_SECONDS", 600)
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake at dusk")
    client.force_login(studio.vera)
    assert token_of(live_poll(client, studio, token)) == token  # the pulse is under a second old
    cache.delete(f"live:pulse:{studio.storyboard.pk}")  # its second has passed

    response = live_poll(client, studio, token)

    assert f'<template data-shot="{studio.shot.uuid}"' in response.text
    assert "A lake at dusk" in response.text


def test_a_pulse_read_over_a_second_ago_is_read_again_however_late_it_was_stored(
    client, studio, monkeypatch
):
    monkeypatch.setattr(live, "PULSE_SECONDS", 1)
    client.force_login(studio.vera)
    token = token_of(live_poll(client, studio))
    before = live.pulse(studio.storyboard)
    client.force_login(studio.bob)
    save_prompt(client, studio, "A lake at dusk")
    # A poll that read the board before the save stores its pulse now, for long: two polls that
    # both missed may store theirs out of order.
    read_at = datetime.now(UTC) - timedelta(seconds=2)
    cache.set(f"live:pulse:{studio.storyboard.pk}", (read_at, before), 600)
    client.force_login(studio.vera)

    response = live_poll(client, studio, token)

    assert "A lake at dusk" in response.text
