from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from studio.generation.models import Take, TakeStatus
from tests.factories import make_take

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_generate_adds_a_queued_take_through_the_live_updates(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST)
    response = client.post(reverse("shot_generate", args=[studio.shot.uuid]), **HTMX)
    take = Take.objects.get()
    assert take.status == TakeStatus.PENDING and take.created_by == studio.bob
    # The answer draws no card (a live answer landing first would leave it on the page
    # twice): it asks the page's live updates to fetch at once, and they bring the card.
    assert response["HX-Reswap"] == "none" and 'id="take-' not in response.text
    assert "storyboard-changed" in response["HX-Trigger"]
    since = page.context["live_token"]
    live = client.get(reverse("storyboard_live", args=[studio.storyboard.uuid]), {"since": since})
    assert f'id="take-{take.uuid}"' in live.text
    assert "Waiting to be sent" in live.text


def test_generate_over_budget_shows_why_and_creates_nothing(client, studio):
    studio.project.budget = Decimal("1.00")
    studio.project.save()
    client.force_login(studio.bob)
    response = client.post(reverse("shot_generate", args=[studio.shot.uuid]), **HTMX)
    assert response["HX-Retarget"] == f"#shot-{studio.shot.uuid}-alert"
    assert "This take costs $1.60; the project has $1.00 left of its $1.00 budget." in response.text
    assert not Take.objects.exists()


def test_generate_button_confirms_with_the_cost(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert 'hx-confirm="Generate a 4 s take of shot 1 for $1.60?"' in page


def test_failed_take_offers_retry_which_queues_a_new_take(client, studio):
    take = make_take(studio.shot, status=TakeStatus.FAILED, error_message="Blocked.")
    client.force_login(studio.bob)
    response = client.post(reverse("take_retry", args=[take.uuid]), **HTMX)
    new = Take.objects.get(take_number=2)
    assert new.status == TakeStatus.PENDING
    assert response["HX-Reswap"] == "none"  # its card comes with the live updates


@pytest.fixture
def finished_take(studio):
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(bytes(range(256)) * 40))
    take.poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"))
    return take


def test_completed_take_shows_a_player_with_poster(client, studio, finished_take):
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert f'poster="{reverse("take_poster", args=[finished_take.uuid])}"' in page
    assert f'src="{reverse("take_video", args=[finished_take.uuid])}"' in page
    assert '<video class="ratio-169" controls' in page


def test_take_video_answers_range_requests(client, studio, finished_take):
    client.force_login(studio.vera)
    url = reverse("take_video", args=[finished_take.uuid])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "video/mp4"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 100-199/10240"
    body = b"".join(part.streaming_content)
    assert body == Path(finished_take.video.path).read_bytes()[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == Path(finished_take.video.path).read_bytes()[-10:]
    assert client.get(url, HTTP_RANGE="bytes=99999-").status_code == 416


def test_cancel_button_on_a_running_take_swaps_in_the_cancelling_card(client, studio):
    take = make_take(studio.shot, status=TakeStatus.RUNNING, gateway_job_id="job_1")
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert 'hx-confirm="Cancel take 1? A cancelled take is not charged."' in page
    response = client.post(reverse("take_cancel", args=[take.uuid]), **HTMX)
    assert "Cancelling at the gateway" in response.text
    take.refresh_from_db()
    assert take.status == TakeStatus.CANCELLING


def test_cancelling_a_finished_take_is_refused_with_a_message(client, studio):
    take = make_take(studio.shot)
    client.force_login(studio.bob)
    response = client.post(reverse("take_cancel", args=[take.uuid]), **HTMX)
    assert "Only a waiting, queued or running take can be cancelled." in response.text
    assert Take.objects.get(pk=take.pk).status == TakeStatus.COMPLETED


def test_unconfirmed_take_offers_check_again_and_retry(client, studio):
    take = make_take(
        studio.shot,
        status=TakeStatus.UNCONFIRMED,
        error_message="The gateway may or may not have...",
    )
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert ">Check again</button>" in page and ">Retry</button>" in page
    assert "The unconfirmed one may be charged too." in page
    response = client.post(reverse("take_check_again", args=[take.uuid]), **HTMX)
    take.refresh_from_db()
    assert take.status == TakeStatus.PENDING and take.error_message == ""
    assert "Waiting to be sent" in response.text
    assert "storyboard-changed" in response["HX-Trigger"]


def test_viewers_cannot_cancel(client, studio):
    take = make_take(studio.shot, status=TakeStatus.RUNNING)
    client.force_login(studio.vera)
    assert client.post(reverse("take_cancel", args=[take.uuid]), **HTMX).status_code == 403
    assert Take.objects.get(pk=take.pk).status == TakeStatus.RUNNING


def test_selecting_a_take_marks_it_for_the_ad(client, studio):
    first, second = make_take(studio.shot), make_take(studio.shot)
    client.force_login(studio.bob)
    response = client.post(reverse("take_select", args=[second.uuid]), **HTMX)
    studio.shot.refresh_from_db()
    assert studio.shot.selected_take == second
    assert response.text.count(">Selected</span>") == 1
    assert response.text.count("is-selected") == 1  # the ring, beside the label
    assert ">Use take 1 as selected</button>" in response.text
    assert ">Use take 2 as selected</button>" not in response.text
    # The redrawn card carries its takes' reviews, closed, to be fetched when opened.
    for take in (first, second):
        assert f'<details class="review-fold" id="take-{take.uuid}-fold"' in response.text
    running = make_take(studio.shot, status=TakeStatus.RUNNING)
    refused = client.post(reverse("take_select", args=[running.uuid]), **HTMX)
    assert "Only a finished take can be the shot&#x27;s selected take." in refused.text
    assert first.pk != studio.shot.selected_take_id


def second_shot(studio):
    from studio.projects.models import Shot

    return Shot.objects.create(
        storyboard=studio.storyboard,
        position=2,
        prompt="Pour shot",
        duration=5,
        aspect_ratio="9:16",
        video_model=studio.veo,
    )


def test_generate_selected_confirms_the_total_and_what_remains(client, studio):
    other = second_shot(studio)
    client.force_login(studio.bob)
    url = reverse("batch_confirm", args=[studio.storyboard.uuid])
    response = client.post(
        url, {"scope": "selected", "shot": [studio.shot.uuid, other.uuid]}, **HTMX
    )
    assert "Generate 2 shots, 9 s, $3.60?" in response.text
    assert "$96.40 of the budget remains afterwards." in response.text
    assert not Take.objects.exists()  # nothing before the confirmation
    answer = client.post(
        reverse("batch_generate", args=[studio.storyboard.uuid]),
        {"shot": [studio.shot.uuid, other.uuid]},
        **HTMX,
    )
    assert "2 takes queued." in answer.text
    assert 'id="take-' not in answer.text  # the cards come with the live updates
    assert Take.objects.count() == 2


def test_generate_all_over_budget_makes_none(client, studio):
    second_shot(studio)
    studio.project.budget = 3
    studio.project.save()
    client.force_login(studio.bob)
    confirm = client.post(
        reverse("batch_confirm", args=[studio.storyboard.uuid]), {"scope": "all"}, **HTMX
    )
    assert "That is $0.60 over the budget: it will be refused." in confirm.text
    answer = client.post(
        reverse("batch_generate", args=[studio.storyboard.uuid]), {"scope": "all"}, **HTMX
    )
    assert (
        "These 2 takes cost $3.60; the project has $3.00 left of its $3.00 budget." in answer.text
    )
    assert not Take.objects.exists()


def test_generate_selected_with_nothing_ticked_says_so(client, studio):
    client.force_login(studio.bob)
    response = client.post(
        reverse("batch_confirm", args=[studio.storyboard.uuid]), {"scope": "selected"}, **HTMX
    )
    assert "Tick the shots to generate first" in response.text
