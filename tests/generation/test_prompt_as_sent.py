"""A take keeps its prompt as sent: the shot's prompt with the brand kit's @names expanded and
the style line appended (as the kit has it, or as edited in the batch confirmation), and that
is exactly what the gateway gets. Expansion's own cases: tests/brands/test_elements.py."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from studio.generation import services, steps
from studio.generation.models import Take
from studio.projects.models import PROMPT_MAX_LENGTH
from tests.factories import make_brand_kit, make_shot
from tests.helpers import HTMX, new_take, sim_state

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db

SNEAKER = "white leather running sneaker with a teal swoosh"
STYLE = "Shot on 35mm, warm golden light, brand palette teal and cream"


@pytest.fixture
def kit(studio):
    studio.shot.prompt = "A runner laces @sneaker by @lake"
    studio.shot.save()
    return make_brand_kit(studio.project, {"sneaker": SNEAKER}, style_line=STYLE)


def test_the_take_keeps_the_expanded_prompt_and_the_gateway_gets_exactly_it(gateway, studio, kit):
    take = new_take(studio)
    expected = f"A runner laces {SNEAKER} by @lake. {STYLE}"
    assert take.prompt == expected
    steps.take_submit(take_id=take.pk)
    (job,) = sim_state(gateway)["jobs"]
    assert job["prompt"] == expected
    studio.shot.refresh_from_db()
    assert studio.shot.prompt == "A runner laces @sneaker by @lake"  # the shot is not changed


def test_without_a_kit_the_shots_prompt_is_sent_unchanged(gateway, studio):
    studio.shot.prompt = "Mail a@b.com about @sneaker"
    studio.shot.save()
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    assert take.prompt == sim_state(gateway)["jobs"][0]["prompt"] == "Mail a@b.com about @sneaker"


def test_a_kit_change_after_the_take_leaves_the_take_as_sent(studio, kit):
    take = new_take(studio)
    kit.elements.update(description="a black boot")
    assert Take.objects.get(pk=take.pk).prompt == take.prompt
    assert SNEAKER in take.prompt


def test_an_expansion_over_the_models_limit_refuses_generate_naming_the_shot(studio, kit):
    studio.shot.prompt = "@sneaker " * 150  # 1350 characters as written, more as sent
    studio.shot.save()
    with pytest.raises(ValidationError) as refused:
        new_take(studio)
    message = refused.value.messages[0]
    assert message.startswith("Shot 1: ") and f"over the model's {PROMPT_MAX_LENGTH}" in message
    assert not Take.objects.exists()


def test_the_single_generate_refusal_shows_in_the_shots_alert(client, studio, kit):
    studio.shot.prompt = "@sneaker " * 150
    studio.shot.save()
    client.force_login(studio.bob)
    response = client.post(reverse("shot_generate", args=[studio.shot.uuid]), **HTMX)
    assert response["HX-Retarget"] == f"#shot-{studio.shot.uuid}-alert"
    assert "Shot 1: with the brand kit" in response.text
    assert not Take.objects.exists()


def test_the_confirmation_shows_each_prompt_as_sent_and_warns_of_unknown_elements(
    client, studio, kit, django_assert_num_queries
):
    make_shot(studio.storyboard, 2, video_model=studio.veo, prompt="Close on @sneaker.")
    client.force_login(studio.bob)
    url = reverse("batch_confirm", args=[studio.storyboard.uuid])
    # 1 user, 2 the storyboard with its project and team, 3 the user's membership (the role
    # check), 4 the shots with their models, 5 the brand kit, 6 the budget's spent and
    # reserved sums, 7 the kit's elements (one query however many shots).
    with django_assert_num_queries(7):
        response = client.post(url, {"scope": "all"}, **HTMX)
    text = response.text
    assert f"A runner laces {SNEAKER} by @lake. {STYLE}" in text
    assert f"Close on {SNEAKER}. {STYLE}" in text
    assert "Unknown element @lake" in text
    assert f'value="{STYLE}"' in text and 'name="style"' in text


def test_the_style_line_edited_in_the_confirmation_is_sent_and_stored(gateway, client, studio, kit):
    client.force_login(studio.bob)
    preview = client.post(
        reverse("batch_confirm", args=[studio.storyboard.uuid]),
        {"scope": "all", "style": "Handheld, overcast"},
        **HTMX,
    )
    assert f"A runner laces {SNEAKER} by @lake. Handheld, overcast" in preview.text
    client.post(
        reverse("batch_generate", args=[studio.storyboard.uuid]),
        {"shot": [studio.shot.uuid], "style": "Handheld, overcast"},
        **HTMX,
    )
    take = Take.objects.get()
    assert take.prompt == f"A runner laces {SNEAKER} by @lake. Handheld, overcast"
    steps.take_submit(take_id=take.pk)
    assert sim_state(gateway)["jobs"][0]["prompt"] == take.prompt
    kit.refresh_from_db()
    assert kit.style_line == STYLE  # the kit keeps its own line


def test_an_emptied_style_line_appends_nothing(studio, kit):
    (take,) = services.takes_create(user=studio.bob, shots=[studio.shot], style="  ")
    assert take.prompt == f"A runner laces {SNEAKER} by @lake"


def test_a_style_line_over_its_limit_is_refused(studio, kit):
    with pytest.raises(ValidationError, match="300 characters"):
        services.takes_create(user=studio.bob, shots=[studio.shot], style="x" * 301)
    assert not Take.objects.exists()


def test_shot_card_shows_the_prompt_as_sent_and_the_take_card_what_was_sent(client, studio, kit):
    take = new_take(studio)
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert page.count(f"A runner laces {SNEAKER} by @lake. {STYLE}") == 2  # shot and take
    assert "Unknown element @lake" in page
    assert take.prompt in page


def test_a_shots_generate_confirms_in_its_card_with_the_style_line_to_change(client, studio, kit):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    target = f"shot-{studio.shot.uuid}-confirm"
    confirm_url = reverse("batch_confirm", args=[studio.storyboard.uuid])
    assert f'hx-post="{confirm_url}" hx-target="#{target}"' in page
    assert f'<div id="{target}"' in page

    confirmation = client.post(
        confirm_url, {"shot": [studio.shot.uuid], "target": target}, **HTMX
    ).text
    assert f"A runner laces {SNEAKER} by @lake. {STYLE}" in confirmation
    assert confirmation.count(f'hx-target="#{target}"') == 2  # Show with this line, Confirm
    assert f'name="target" value="{target}"' in confirmation
    assert "<strong>Generate 1 shot, " in confirmation

    added = client.post(
        reverse("batch_generate", args=[studio.storyboard.uuid]),
        {"shot": [studio.shot.uuid], "style": "Handheld", "target": target},
        **HTMX,
    )
    assert "1 take queued" in added.text
    assert Take.objects.get().prompt == f"A runner laces {SNEAKER} by @lake. Handheld"


def test_a_confirmation_target_is_a_shots_or_the_storyboards_never_anything_else(
    client, studio, kit
):
    client.force_login(studio.bob)
    confirmation = client.post(
        reverse("batch_confirm", args=[studio.storyboard.uuid]),
        {"shot": [studio.shot.uuid], "target": 'x" onmouseover="alert(1)'},
        **HTMX,
    ).text
    assert 'hx-target="#batch-confirm"' in confirmation and "onmouseover" not in confirmation


def test_without_a_style_line_a_shots_generate_asks_in_one_line(client, studio):
    make_brand_kit(studio.project, style_line="")
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert f'hx-post="{reverse("shot_generate", args=[studio.shot.uuid])}"' in page
    assert f'id="shot-{studio.shot.uuid}-confirm"' in page  # there, and empty
