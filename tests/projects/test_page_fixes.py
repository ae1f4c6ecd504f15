"""Small things on the storyboard page: the prompt's counter instead of a silent cut, Generate
all on an empty board, "an 8 s take", and a duplicate's title."""

import pytest
from django.urls import reverse

from studio.formatting import a_seconds
from studio.projects import services
from studio.projects.models import PROMPT_MAX_LENGTH, Shot
from tests.factories import make_shot

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_prompt_is_counted_not_cut(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    field = page[page.index('<textarea name="prompt"') :]
    field = field[: field.index(">")]
    assert "maxlength" not in field and f'data-limit="{PROMPT_MAX_LENGTH}"' in field
    assert f"<span data-count>0 / {PROMPT_MAX_LENGTH}</span>" in page
    assert 'aria-live="polite" data-count-say' in page
    edit = client.get(reverse("shot_edit", args=[studio.shot.uuid]), **HTMX).text
    typed = len(studio.shot.prompt)
    assert f'id="id_edit-{studio.shot.pk}-prompt-count"' in edit
    assert f"<span data-count>{typed} / {PROMPT_MAX_LENGTH}</span>" in edit


def test_a_prompt_over_the_limit_is_refused_in_words_and_kept(client, studio):
    client.force_login(studio.bob)
    data = {
        "video_model": studio.veo.pk,
        "prompt": "Lemons. " + "x" * PROMPT_MAX_LENGTH,
        "duration": 4,
        "aspect_ratio": "16:9",
    }
    response = client.post(reverse("shot_create", args=[studio.storyboard.uuid]), data, **HTMX)
    assert f"Ensure this value has at most {PROMPT_MAX_LENGTH} characters" in response.text
    assert "Lemons. xxx" in response.text  # nothing typed is lost
    assert Shot.objects.count() == 1


def test_generate_all_on_an_empty_board_says_to_add_a_shot(client, studio):
    Shot.objects.all().delete()
    client.force_login(studio.bob)
    url = reverse("batch_confirm", args=[studio.storyboard.uuid])
    response = client.post(url, {"scope": "all"}, **HTMX)
    assert "There are no shots yet: add a shot first" in response.text
    assert "Tick the shots" not in response.text
    nothing_ticked = client.post(url, {"scope": "selected"}, **HTMX).text
    assert "Tick the shots to generate first, or use Generate all." in nothing_ticked


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (5, "a 5 s"),
        (8, "an 8 s"),
        (11, "an 11 s"),
        (18, "an 18 s"),
        (80, "an 80 s"),
        (180, "a 180 s"),
        (800, "an 800 s"),
        (1800, "a 1800 s"),
        (11000, "an 11000 s"),
    ],
)
def test_a_length_is_written_with_the_article_it_is_read_with(seconds, said):
    assert a_seconds(seconds) == said


def test_an_8_second_shot_asks_to_generate_an_8_s_take(client, studio):
    Shot.objects.filter(pk=studio.shot.pk).update(duration=8)
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert 'hx-confirm="Generate an 8 s take of shot 1 for $3.20?"' in page


def test_a_duplicate_is_titled_as_a_copy(studio):
    hook = make_shot(studio.storyboard, 2, video_model=studio.veo, title="Hook")
    first = services.shot_duplicate(user=studio.bob, shot=hook)
    second = services.shot_duplicate(user=studio.bob, shot=hook)
    of_a_copy = services.shot_duplicate(user=studio.bob, shot=first)
    assert [first.title, second.title, of_a_copy.title] == [
        "Hook (copy)",
        "Hook (copy 2)",
        "Hook (copy 3)",
    ]
    untitled = services.shot_duplicate(user=studio.bob, shot=studio.shot)
    assert untitled.title == ""  # its number tells it apart
    long = make_shot(studio.storyboard, 9, video_model=studio.veo, title="x" * 120)
    assert services.shot_duplicate(user=studio.bob, shot=long).title == "x" * 113 + " (copy)"
