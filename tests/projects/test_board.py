"""The storyboard's board: frames of the shots, a drawer with one shot's card, the Board | List
switch remembered for the user, and the take cards and prompts inside the cards."""

import pytest
from django.urls import reverse
from django.utils import timezone

from studio.generation.models import TakeStatus
from studio.projects.models import Shot
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client, studio, **params):
    return client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), params)


def frame_of(text: str, shot) -> str:
    """The frame's markup, from its opening tag to the end of its list item."""
    start = text.index(f'id="frame-{shot.uuid}"')
    return text[start : text.index("</li>", start)]


def test_the_board_is_the_page_until_the_list_is_chosen_and_then_it_stays(client, studio):
    client.force_login(studio.bob)
    first = page(client, studio).text
    assert 'id="shot-board"' in first and 'id="shot-list"' not in first
    assert 'aria-current="page">Board</a>' in first and "?view=list" in first
    chosen = page(client, studio, view="list").text
    assert 'id="shot-list"' in chosen and 'aria-current="page">List</a>' in chosen
    # Remembered for this user: the plain address is the list now, until Board is chosen.
    assert 'id="shot-list"' in page(client, studio).text
    assert 'id="shot-board"' in page(client, studio, view="board").text
    assert 'id="shot-board"' in page(client, studio).text


def test_a_frame_shows_the_selected_take_else_the_latest_else_a_placeholder(client, studio):
    vertical = make_shot(studio.storyboard, 2, video_model=studio.veo, aspect_ratio="9:16")
    done = make_shot(studio.storyboard, 3, video_model=studio.veo, title="Pour")
    first, second = make_take(done), make_take(done)
    make_take(done, status=TakeStatus.FAILED)
    client.force_login(studio.vera)
    text = page(client, studio, view="board").text
    latest = frame_of(text, done)
    assert reverse("take_poster", args=[second.uuid]) in latest
    assert "<strong>Shot 3</strong> Pour" in latest and "4 s" in latest and "$1.60" in latest
    assert ">Ready</span>" in latest
    empty = frame_of(text, vertical)
    assert 'class="frame-picture ratio-916"' in empty and ">9:16</span>" in empty
    assert ">No take</span>" in empty and "<img" not in empty

    done.selected_take = first
    done.save(update_fields=["selected_take", "updated_at"])  # as take_select saves it
    text = page(client, studio).text
    assert reverse("take_poster", args=[first.uuid]) in frame_of(text, done)
    assert ">Selected</span>" in frame_of(text, done)


def test_a_frame_says_generating_and_failed(client, studio):
    make_take(studio.shot, status=TakeStatus.FAILED)
    running = make_shot(studio.storyboard, 2, video_model=studio.veo)
    make_take(running)
    make_take(running, status=TakeStatus.RUNNING)
    client.force_login(studio.bob)
    text = page(client, studio, view="board").text
    assert ">No take ready</span>" in frame_of(text, studio.shot)
    assert ">Generating</span>" in frame_of(text, running)


def test_a_frame_opens_its_shot_in_the_drawer_without_javascript(client, studio):
    make_take(studio.shot)
    client.force_login(studio.bob)
    text = page(client, studio, view="board").text
    link = f'href="{reverse("storyboard_detail", args=[studio.storyboard.uuid])}?shot='
    assert f"{link}{studio.shot.uuid}" in frame_of(text, studio.shot)
    assert '<div id="shot-drawer" class="shot-drawer" hidden>' in text
    opened = page(client, studio, shot=str(studio.shot.uuid)).text
    assert '<div id="shot-drawer" class="shot-drawer">' in opened
    assert 'aria-current="true"' in frame_of(opened, studio.shot)  # the frame that is open
    assert f'id="shot-{studio.shot.uuid}"' in opened  # the shot's card, with its takes
    assert "A drone shot of a mountain lake" in opened and ">Take 1</strong>" in opened
    assert 'aria-label="Close shot 1">Close</a>' in opened


def test_the_drawer_fragment_comes_in_a_fixed_number_of_queries(
    client, studio, django_assert_num_queries
):
    for _ in range(3):
        make_take(studio.shot)
    client.force_login(studio.bob)
    page(client, studio, view="board")
    # user, storyboard (+project, team), the shot (+model), its takes, their review
    # decisions and comments, the user's memberships (may they edit), the kit's style line
    with django_assert_num_queries(7):
        response = client.get(
            reverse("storyboard_detail", args=[studio.storyboard.uuid]),
            {"shot": str(studio.shot.uuid)},
            **HTMX,
        )
    assert response.text.count('class="take card') == 3
    assert "<html" not in response.text and 'id="shot-list"' in response.text
    assert response["Vary"].count("HX-Request") == 1


def test_a_deleted_shot_opens_as_a_note(client, studio):
    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    studio.shot.delete()
    response = client.get(url, {"shot": str(studio.shot.uuid)}, **HTMX)
    assert "This shot is no longer on the storyboard." in response.text


def test_outsider_gets_404_for_the_board_and_its_drawer(client, studio):
    client.force_login(studio.oscar)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    assert client.get(url, {"view": "board"}).status_code == 404
    assert client.get(url, {"shot": str(studio.shot.uuid)}, **HTMX).status_code == 404


def test_a_viewer_opens_a_shot_but_is_offered_no_changes(client, studio):
    make_take(studio.shot)
    client.force_login(studio.vera)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    client.get(url, {"view": "board"})
    response = client.get(url, {"shot": str(studio.shot.uuid)}, **HTMX)
    assert ">Take 1</strong>" in response.text and ">Download</a>" in response.text
    for change in ("Generate</button>", "Edit</a>", "Use take 1 as selected", 'name="shot"'):
        assert change not in response.text


def test_live_updates_carry_each_changed_shots_frame(client, studio):
    make_take(studio.shot, status=TakeStatus.RUNNING)
    client.force_login(studio.bob)
    live = client.get(reverse("storyboard_live", args=[studio.storyboard.uuid]), **HTMX).text
    template = live[live.index(f'<template data-shot="{studio.shot.uuid}"') :]
    assert (
        f'id="shot-{studio.shot.uuid}"' in template and f'id="frame-{studio.shot.uuid}"' in template
    )
    assert ">Generating</span>" in template


def test_a_shot_added_on_the_board_comes_back_as_a_frame(client, studio):
    client.force_login(studio.bob)
    page(client, studio, view="board")
    data = {"video_model": studio.veo.pk, "prompt": "A pour", "duration": 4, "aspect_ratio": "16:9"}
    response = client.post(reverse("shot_create", args=[studio.storyboard.uuid]), data, **HTMX)
    assert (
        'class="frame card state-none"' in response.text
        and "<strong>Shot 2</strong>" in response.text
    )
    assert 'hx-target="#shot-board"' in response.text  # the form, fresh, adds frames too


def test_the_page_offers_skip_links_to_the_shots_and_the_new_shot_form(client, studio):
    client.force_login(studio.bob)
    text = page(client, studio).text
    assert '<a class="skip-link" href="#add-shot">Skip to New shot</a>' in text
    assert '<a class="skip-link" href="#shots">Skip to shots</a>' in text
    assert 'id="add-shot"' in text and 'id="shots"' in text
    client.force_login(studio.vera)  # no form to skip to
    assert "Skip to New shot" not in page(client, studio).text


def test_a_prompt_has_a_more_toggle_for_the_script_to_offer(client, studio):
    client.force_login(studio.vera)
    text = page(client, studio, view="list").text
    prompt = f'id="shot-{studio.shot.uuid}-prompt" data-clamp'
    assert prompt in text
    assert f'aria-expanded="false" aria-controls="shot-{studio.shot.uuid}-prompt" hidden>' in text


def test_a_take_card_leads_with_the_player_and_keeps_the_rest_in_a_menu(client, studio):
    chosen, other = make_take(studio.shot), make_take(studio.shot)
    failed = make_take(studio.shot, status=TakeStatus.FAILED)
    studio.shot.selected_take = chosen
    studio.shot.save(update_fields=["selected_take", "updated_at"])
    client.force_login(studio.bob)
    text = page(client, studio, view="list").text
    card = text[text.index(f'id="take-{other.uuid}"') :]
    card = card[: card.index("</li>")]
    assert card.index("<video") < card.index("take-head") < card.index('class="take-menu"')
    assert "$1.60</span>" in card  # its cost on the status line
    menu = card[card.index('class="take-menu"') :]
    assert ">Use take 2 as selected</button>" in menu and ">Download</a>" in menu
    assert 'class="take card status-completed is-selected"' in text  # the ring, on one card
    assert text.count(" is-selected") == 1
    assert f'aria-label="Take {chosen.take_number}: Completed, selected"' in text
    retry = text[text.index(f'id="take-{failed.uuid}"') :]
    assert 'class="take-menu"' in retry and ">Retry</button>" in retry[: retry.index("</li>")]


def add_shots(studio, first: int, last: int) -> None:
    for position in range(first, last + 1):
        shot = make_shot(studio.storyboard, position, video_model=studio.veo)
        make_take(shot)
        make_take(shot, status=TakeStatus.RUNNING)


# user, storyboard (+project, team), the user's memberships, default model, models
# count, the storyboard's version (a row of aggregates, the prices: the project has no kit),
# who is here, the gateway's pause banner
PAGE_QUERIES = 9
# ... and, when this version of the board has not been drawn yet: shots (+model), takes, their
# review decisions and comments (which also say how many takes are in progress)
DRAWING_QUERIES = 4


@pytest.mark.parametrize("last", [7, 14])
def test_the_board_costs_the_same_queries_however_many_shots(
    client, studio, django_assert_num_queries, last
):
    add_shots(studio, 2, last)
    client.force_login(studio.bob)
    with django_assert_num_queries(PAGE_QUERIES + DRAWING_QUERIES):
        drawn = page(client, studio).text
    assert (
        drawn.count('class="frame card') == last and drawn.count(">Generating</span>") == last - 1
    )
    # Drawn once per version: the next member with the same rights gets it from the cache.
    client.force_login(studio.alice)
    with django_assert_num_queries(PAGE_QUERIES):
        cached = page(client, studio).text
    assert cached.count('class="frame card') == last


def test_the_board_is_drawn_again_when_the_storyboard_changes(client, studio):
    client.force_login(studio.vera)
    assert "<strong>Shot 2</strong>" not in page(client, studio).text
    add_shots(studio, 2, 2)
    assert "<strong>Shot 2</strong>" in page(client, studio).text
    Shot.objects.filter(pk=studio.shot.pk).update(title="Lake", updated_at=timezone.now())
    assert "<strong>Shot 1</strong> Lake" in page(client, studio).text


def test_editors_and_viewers_get_their_own_drawing(client, studio):
    client.force_login(studio.bob)
    assert 'class="frame-tick"' in page(client, studio).text
    client.force_login(studio.vera)  # the same version, drawn for those who may not edit
    assert 'class="frame-tick"' not in page(client, studio).text
    client.force_login(studio.alice)
    assert 'class="frame-tick"' in page(client, studio).text
