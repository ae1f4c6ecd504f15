"""Storyboarding sessions: shots edited in place without lost updates, reordered, duplicated,
deleted with undo, imported from CSV, and everyone's changes delivered live."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from studio.activity.models import Activity
from studio.generation.models import Take
from studio.projects import live as live_answers
from studio.projects.fragments import presence
from studio.projects.models import Shot
from studio.projects.services import UNDO_WINDOW
from studio.teams.models import Role
from tests.factories import make_user, take_row
from tests.helpers import live_poll

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def add_shots(studio, count: int, takes: int = 0) -> list[Shot]:
    shots = [
        Shot.objects.create(
            storyboard=studio.storyboard,
            position=position,
            prompt=f"Prompt {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        for position in range(2, count + 2)
    ]
    Take.objects.bulk_create(
        take_row(shot, number) for shot in shots for number in range(1, takes + 1)
    )
    return shots


def edit_data(shot: Shot, version: int, **changes) -> dict:
    prefix = f"edit-{shot.pk}"
    data = {
        "title": shot.title,
        "prompt": shot.prompt,
        "duration": shot.duration,
        "aspect_ratio": shot.aspect_ratio,
        "video_model": shot.video_model_id,
        "notes": shot.notes,
        "version": version,
    } | changes
    return {f"{prefix}-{name}": value for name, value in data.items()}


def positions(studio) -> list[tuple[str, int]]:
    return list(studio.storyboard.shots.order_by("position").values_list("prompt", "position"))


# Editing in place


def test_edit_opens_the_form_in_place_and_save_shows_the_card(client, studio):
    client.force_login(studio.bob)
    form = client.get(reverse("shot_edit", args=[studio.shot.uuid]), **HTMX)
    assert f'id="shot-{studio.shot.uuid}-body"' in form.text
    assert 'name="edit-1-version" value="1"' in form.text.replace(
        f"edit-{studio.shot.pk}", "edit-1"
    )
    response = client.post(
        reverse("shot_update", args=[studio.shot.uuid]),
        edit_data(studio.shot, 1, title="Opener", prompt="A lake at dawn"),
        **HTMX,
    )
    assert "A lake at dawn" in response.text and "Opener" in response.text
    shot = Shot.objects.get()
    assert (shot.prompt, shot.version) == ("A lake at dawn", 2)
    line = Activity.objects.get()
    assert (line.actor, line.verb) == (studio.bob, "edited")


def test_invalid_edit_keeps_the_text_and_says_why(client, studio):
    client.force_login(studio.bob)
    response = client.post(
        reverse("shot_update", args=[studio.shot.uuid]),
        edit_data(studio.shot, 1, prompt="Keep this text", duration=99),
        **HTMX,
    )
    assert "Veo 3.1 makes videos of 1 to 60 seconds." in response.text
    assert "Keep this text" in response.text
    assert Shot.objects.get().version == 1


@pytest.mark.postgres
def test_second_save_from_the_same_version_is_a_conflict_with_both_texts(client, studio):
    client.force_login(studio.bob)
    url = reverse("shot_update", args=[studio.shot.uuid])
    client.post(url, edit_data(studio.shot, 1, prompt="Bob's lake"), **HTMX)
    client.force_login(studio.alice)
    response = client.post(url, edit_data(studio.shot, 1, prompt="Alice's lake"), **HTMX)
    assert "Someone else saved this shot" in response.text
    assert "Bob&#x27;s lake" in response.text and "Alice&#x27;s lake" in response.text
    assert Shot.objects.get().prompt == "Bob's lake"  # nothing silently overwritten
    # Keep mine: the form now carries the version Alice has seen.
    assert f'name="edit-{studio.shot.pk}-version" value="2"' in response.text
    client.post(url, edit_data(studio.shot, 2, prompt="Alice's lake"), **HTMX)
    assert Shot.objects.get().prompt == "Alice's lake"


def test_conflict_without_javascript_shows_the_page_with_both_texts(client, studio):
    client.force_login(studio.bob)
    url = reverse("shot_update", args=[studio.shot.uuid])
    client.post(url, edit_data(studio.shot, 1, prompt="First"))
    response = client.post(url, edit_data(studio.shot, 1, prompt="Second"))
    assert response.status_code == 200
    assert "Someone else saved this shot" in response.text and "Second" in response.text


def test_edit_link_opens_the_form_on_the_page(client, studio):
    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    page = client.get(url, {"edit": str(studio.shot.uuid)}).text
    assert "Editing shot 1" in page
    client.force_login(studio.vera)
    assert "Editing shot 1" not in client.get(url, {"edit": str(studio.shot.uuid)}).text


# Duplicate, delete and undo, reorder


def test_duplicate_goes_straight_after_the_original(client, studio):
    add_shots(studio, 2)
    client.force_login(studio.bob)
    response = client.post(reverse("shot_duplicate", args=[studio.shot.uuid]), **HTMX)
    assert "Shot 2" in response.text
    assert positions(studio) == [
        (studio.shot.prompt, 1),
        (studio.shot.prompt, 2),
        ("Prompt 2", 3),
        ("Prompt 3", 4),
    ]


@pytest.mark.postgres
def test_delete_offers_undo_and_undo_puts_the_shot_back(client, studio):
    add_shots(studio, 2)
    client.force_login(studio.bob)
    response = client.post(reverse("shot_delete", args=[studio.shot.uuid]), **HTMX)
    assert "Shot 1 deleted." in response.text and ">Undo</button>" in response.text
    assert positions(studio) == [("Prompt 2", 1), ("Prompt 3", 2)]
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert studio.shot.prompt not in page
    client.post(reverse("shot_restore", args=[studio.shot.uuid]), **HTMX)
    assert positions(studio) == [(studio.shot.prompt, 1), ("Prompt 2", 2), ("Prompt 3", 3)]
    verbs = list(Activity.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs == ["deleted", "restored"]


def test_undo_after_the_window_is_refused_with_a_reason(client, studio):
    client.force_login(studio.bob)
    client.post(reverse("shot_delete", args=[studio.shot.uuid]), **HTMX)
    Shot.all_objects.update(deleted_at=timezone.now() - UNDO_WINDOW - timedelta(seconds=1))
    response = client.post(reverse("shot_restore", args=[studio.shot.uuid]), **HTMX)
    assert "Too late to undo" in response.text
    assert not Shot.objects.exists()


def test_reorder_by_drag_sets_the_order(client, studio):
    second, third = add_shots(studio, 2)
    client.force_login(studio.bob)
    order = [third.uuid, studio.shot.uuid, second.uuid]
    response = client.post(
        reverse("shots_reorder", args=[studio.storyboard.uuid]), {"shot": order}, **HTMX
    )
    assert response.status_code == 204
    assert positions(studio) == [("Prompt 3", 1), (studio.shot.prompt, 2), ("Prompt 2", 3)]


@pytest.mark.postgres
def test_reorder_with_foreign_or_missing_ids_changes_nothing(client, studio, veo):
    second, _ = add_shots(studio, 2)
    client.force_login(studio.bob)
    url = reverse("shots_reorder", args=[studio.storyboard.uuid])
    before = positions(studio)
    for order in ([second.uuid, studio.shot.uuid], [second.uuid, "not-a-uuid"]):
        response = client.post(url, {"shot": order}, **HTMX)
        assert "the storyboard changed meanwhile" in response.text
        assert positions(studio) == before


def test_move_up_and_down_is_the_keyboard_way(client, studio):
    second, _ = add_shots(studio, 2)
    client.force_login(studio.bob)
    client.post(reverse("shot_move", args=[second.uuid]), {"direction": "up"}, **HTMX)
    assert positions(studio)[0] == ("Prompt 2", 1)
    client.post(reverse("shot_move", args=[second.uuid]), {"direction": "down"}, **HTMX)
    client.post(reverse("shot_move", args=[second.uuid]), {"direction": "down"}, **HTMX)
    assert positions(studio)[-1] == ("Prompt 2", 3)


# CSV import

CSV = (
    "Title;Prompt;Duration;Aspect ratio;Notes\n"
    "Hook;A can opens in slow motion;6;16:9;close up\n"
    "Bad ratio;A beach;6;4:3;\n"
    "Too long;A city;61;16:9;\n"
    ";;4;16:9;\n"
    "Call to action;Logo on white;4s;9:16;\n"
)


def upload(client, studio, text: str | bytes, name="shots.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode() if isinstance(text, str) else text
    url = reverse("storyboard_import", args=[studio.storyboard.uuid])
    return client.post(url, {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_csv_preview_shows_each_row_and_saves_nothing(client, studio):
    client.force_login(studio.bob)
    page = upload(client, studio, CSV).text
    assert "2 of 5 rows can be imported" in page and "10 s in all" in page
    assert "accepts the aspect ratios 16:9, 9:16" in page
    assert "makes videos of" in page
    assert "the prompt cannot be empty" in page
    assert Shot.objects.count() == 1


@pytest.mark.postgres
def test_csv_import_saves_the_valid_rows_after_the_last_shot(client, studio):
    client.force_login(studio.bob)
    upload(client, studio, CSV)
    url = reverse("storyboard_import", args=[studio.storyboard.uuid])
    response = client.post(url, {"csv_text": CSV, "video_model": studio.veo.pk}, follow=True)
    assert "Imported 2 shots (3 rows with errors skipped)." in response.text
    shots = list(studio.storyboard.shots.order_by("position"))
    assert [(s.position, s.title, s.duration, s.aspect_ratio) for s in shots[1:]] == [
        (2, "Hook", 6, "16:9"),
        (3, "Call to action", 4, "9:16"),
    ]
    assert Activity.objects.get().subject == "2 shots"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"prompt,duration\nA lake,4\n", "missing: aspect ratio"),
        (b"prompt,duration,aspect ratio\n", "header row but no shots"),
        ("prompt,duration,aspect ratio\nCafé,4,16:9\n".encode("latin-1"), "not UTF-8"),
        (b"", "The submitted file is empty"),
    ],
)
def test_unreadable_csv_says_what_is_wrong(client, studio, content, message):
    client.force_login(studio.bob)
    assert message in upload(client, studio, content).text
    assert Shot.objects.count() == 1


# Live updates and presence


def token_of(response) -> str:
    return response.text.split('data-token="')[1].split('"')[0]


@pytest.mark.postgres
def test_live_sends_only_what_changed_since_the_token(client, studio):
    _, third = add_shots(studio, 2)
    client.force_login(studio.bob)
    # Well past the overlap: only the shot touched now counts as changed.
    Shot.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    token = token_of(client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])))
    Shot.objects.filter(pk=third.pk).update(prompt="Changed", updated_at=timezone.now())
    response = live_poll(client, studio, token)
    assert response.text.count("<template data-shot") == 1
    assert f'data-shot="{third.uuid}"' in response.text and "Changed" in response.text


def test_a_crowd_shows_eight_faces_and_counts_the_rest(client, studio):
    members = [make_user(f"member{n:02}", studio.team, Role.VIEWER) for n in range(12)]
    for member in members:
        client.force_login(member)
        live_poll(client, studio)
    client.force_login(studio.bob)

    status = live_poll(client, studio).text.split('id="live-status"')[1].split("</div>")[0]

    # bob, then member00 to member11: thirteen here, by name.
    assert status.count('class="avatar"') == 8
    assert 'title="member07, member08, member09, member10, member11 here too"' in status
    assert ">+5<" in status
    assert "bob, member00, member01 and 10 others here" in status


def test_live_reports_new_takes_deletions_and_who_is_here(client, studio):
    client.force_login(studio.alice)
    token = token_of(live_poll(client, studio))
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert "alice here" in page
    client.post(reverse("shot_generate", args=[studio.shot.uuid]), **HTMX)
    response = live_poll(client, studio, token)
    assert "Waiting to be sent" in response.text and "1 take in progress" in response.text
    assert "alice, bob here" in response.text
    client.post(reverse("shot_delete", args=[studio.shot.uuid]), **HTMX)
    assert (
        f'data-shot="{studio.shot.uuid}" data-position="1" data-deleted'
        in live_poll(client, studio, token).text
    )


# An editor, and a viewer (whose cards ask whether they may review: from the same role).
@pytest.mark.parametrize(("who", "queries"), [("bob", 8), ("vera", 8)])
def test_live_query_count_does_not_grow_with_changes(
    client, studio, django_assert_num_queries, request, monkeypatch, who, queries
):
    # The board's slow-moving parts and presence stay cached however long adding shots takes.
    for name in ("SLOW_PARTS_SECONDS", "MARKED_SECONDS", "PRESENT_SECONDS"):
        monkeypatch.setattr(live_answers, name, 600)
    client.force_login(getattr(studio, who))
    # The clock stands still: presence is rewritten every PRESENCE_REFRESH, and adding thirty
    # shots on a loaded machine took longer than that (a write would count as a change's cost).
    clock = time_machine.travel(timezone.now(), tick=False)
    clock.start()
    request.addfinalizer(clock.stop)
    live_poll(client, studio)  # present already: the next requests write nothing

    def queries_for_changes(count: int) -> int:
        add_shots(studio, count, takes=3)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            live_poll(client, studio, "0")
        return len(context)

    assert queries_for_changes(1) == queries_for_changes(30)
    # user, storyboard (+project, team, the user's role), the board's pulse (its live
    # version), shots (+model), takes, the takes' review decisions, their comments, the
    # gateway's pause banner (presence from the cache); drawn, since the board changed
    add_shots(studio, 1)
    with django_assert_num_queries(queries):
        live_poll(client, studio, "0")


def test_storyboard_page_with_300_shots_has_the_same_query_count(
    client, studio, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    client.get(url, {"view": "list"})  # the list of cards (the page opens on the board)
    Shot.objects.all().delete()
    add_shots(studio, 1, takes=3)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add_shots(studio, 299, takes=3)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).text
    assert page.count('class="shot card"') == 300 and page.count('class="take card') == 900
    assert len(many) == len(one)


def test_four_people_here_are_all_named():
    assert "alice, bob, carol, dave here" in presence(["alice", "bob", "carol", "dave"])
