import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from studio.playlists import services
from studio.playlists.models import Export, Playlist
from studio.review.models import ReviewState
from studio.review.services import review_decide
from tests.factories import make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def items(studio, playlist, takes):
    return services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)


@pytest.fixture
def export(playlist):
    return Export.objects.create(playlist=playlist, version=1, file_name="x_v1.mp4")


def playlist_urls(studio, playlist, items, export) -> list[tuple[str, str]]:
    item = items[0]
    return [
        ("get", reverse("playlist_create", args=[studio.project.uuid])),
        ("post", reverse("playlist_create", args=[studio.project.uuid])),
        ("get", reverse("playlist_detail", args=[playlist.uuid])),
        ("get", reverse("playlist_settings", args=[playlist.uuid])),
        ("post", reverse("playlist_settings", args=[playlist.uuid])),
        ("post", reverse("playlist_add", args=[playlist.uuid])),
        ("post", reverse("playlist_reorder", args=[playlist.uuid])),
        ("get", reverse("playlist_summary", args=[playlist.uuid])),
        ("post", reverse("playlist_duplicate", args=[playlist.uuid])),
        ("post", reverse("playlist_export", args=[playlist.uuid])),
        ("get", reverse("playlist_exports", args=[playlist.uuid])),
        ("post", reverse("playlist_item_move", args=[item.uuid])),
        ("post", reverse("playlist_item_remove", args=[item.uuid])),
        ("post", reverse("playlist_item_trim", args=[item.uuid])),
        ("get", reverse("export_download", args=[export.uuid])),
        ("get", reverse("export_manifest", args=[export.uuid])),
    ]


def test_outsider_gets_404_on_every_playlist_and_media_url(client, studio, playlist, items, export):
    client.force_login(studio.oscar)
    for method, url in playlist_urls(studio, playlist, items, export):
        assert getattr(client, method)(url).status_code == 404, (method, url)
    assert playlist.items.count() == 3 and Playlist.objects.count() == 1


def test_new_playlist_from_a_platform_preset(client, studio):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_create", args=[studio.project.uuid]),
        {"name": "Reels 15", "platform": "vertical", "length": "15"},
    )
    playlist = Playlist.objects.get(name="Reels 15")
    assert response.url == reverse("playlist_detail", args=[playlist.uuid])
    assert (playlist.aspect_ratio, playlist.target_seconds) == ("9:16", 15)


def test_custom_length_needs_its_seconds(client, studio):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_create", args=[studio.project.uuid]),
        {"name": "Odd", "platform": "custom", "aspect_ratio": "16:9", "length": "custom"},
    )
    assert "Give the custom length in seconds." in response.text
    assert not Playlist.objects.exists()


def test_playlist_page_query_count_does_not_grow_with_items(
    client, studio, playlist, items, django_assert_num_queries
):
    client.force_login(studio.bob)
    # user, playlist (+project, team), items (+takes, shots), takes to add (+their
    # storyboards), exports, the user's memberships (what the page offers, and the team
    # switcher), the pause banner, review decisions (+deciders), review comments (+authors),
    # share links (+creators), the deliverables made from it (each with its latest decision
    # and export as subqueries)
    with django_assert_num_queries(11):
        page = client.get(reverse("playlist_detail", args=[playlist.uuid]))
    assert page.text.count('class="playlist-item"') == 3
    preview = json.loads(page.context["preview"])
    assert [p["label"] for p in preview] == ["Shot 1, take 1", "Shot 2, take 1", "Shot 3, take 1"]


def test_summary_fragment_query_count(client, studio, playlist, items, django_assert_num_queries):
    client.force_login(studio.bob)
    # user, playlist, items, the user's memberships (the timeline's trim handles)
    with django_assert_num_queries(4):
        response = client.get(reverse("playlist_summary", args=[playlist.uuid]), **HTMX)
    assert "12.0 s</strong> of 15 s" in response.text and "3 items" in response.text
    assert response.text.count('role="slider"') == 6


def test_the_timeline_leads_the_page_with_handles_for_editors_only(client, studio, playlist, items):
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert page.index('id="timeline"') < page.index('id="preview"') < page.index("Exports</h2>")
    assert page.count('class="timeline-item"') == 3
    assert 'aria-label="End of item 2" aria-valuemin="0" aria-valuemax="4.000"' in page
    client.force_login(studio.vera)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    summary = client.get(reverse("playlist_summary", args=[playlist.uuid]), **HTMX).text
    for text in (page, summary):
        assert text.count('class="timeline-item"') == 3 and 'role="slider"' not in text


CLEARED = '<div id="playlist-alert" aria-live="assertive" hx-swap-oob="true"></div>'


def test_a_trim_that_goes_through_clears_the_last_refusal(client, studio, playlist, items):
    client.force_login(studio.bob)
    url = reverse("playlist_item_trim", args=[items[0].uuid])
    refused = client.post(url, {"trim_in": "3", "trim_out": "1"}, **HTMX)
    assert "The trim&#x27;s end must come after its start." in refused.text
    assert CLEARED not in refused.text
    assert CLEARED in client.post(url, {"trim_in": "1", "trim_out": "3"}, **HTMX).text


def test_a_refused_trim_tells_the_timeline_to_redraw_from_what_was_saved(
    client, studio, playlist, items
):
    """The timeline moves a handle before the server answers: refused, it must be redrawn."""
    services.playlist_item_finish(
        user=studio.bob,
        item=items[0],
        caption="",
        transition="crossfade",
        transition_seconds=Decimal("1.5"),
    )
    client.force_login(studio.bob)
    url = reverse("playlist_item_trim", args=[items[0].uuid])
    response = client.post(url, {"trim_in": "", "trim_out": "1"}, **HTMX)
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "shorten the crossfade first" in response.text
    assert json.loads(response["HX-Trigger"]) == {"playlist-changed": {}}


def test_a_refused_reorder_tells_the_timeline_to_redraw(client, studio, playlist, items):
    client.force_login(studio.bob)
    url = reverse("playlist_reorder", args=[playlist.uuid])
    response = client.post(url, {"item": [items[1].uuid, items[0].uuid]}, **HTMX)
    assert response["HX-Retarget"] == "#playlist-alert"
    assert json.loads(response["HX-Trigger"]) == {"playlist-changed": {}}


def test_an_export_started_clears_the_last_refusal_but_its_polling_does_not(
    client, studio, playlist, items
):
    client.force_login(studio.bob)
    started = client.post(reverse("playlist_export", args=[playlist.uuid]), **HTMX)
    assert 'id="exports"' in started.text and CLEARED in started.text
    polled = client.get(reverse("playlist_exports", args=[playlist.uuid]), **HTMX)
    assert 'id="exports"' in polled.text and CLEARED not in polled.text


def test_adding_a_take_answers_with_the_list_and_tells_the_summary(client, studio, playlist, takes):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_add", args=[playlist.uuid]), {"take": takes[1].uuid}, **HTMX
    )
    assert json.loads(response["HX-Trigger"]) == {"playlist-changed": {}}
    assert "1. Shot 2 · take 1" in response.text


def test_adding_all_approved_takes_says_how_many_shots_were_skipped(
    client, studio, playlist, takes
):
    for take in takes[:2]:
        review_decide(target=take, state=ReviewState.APPROVED, user=studio.rita)
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_add", args=[playlist.uuid]),
        {"storyboard": studio.storyboard.uuid},
        **HTMX,
    )
    assert "Added 2 approved takes; skipped 1 shot with no approved take." in response.text
    assert [item.take for item in playlist.items.all()] == takes[:2]


def test_adding_all_approved_takes_without_javascript_says_it_too(client, studio, playlist, takes):
    review_decide(target=takes[0], state=ReviewState.APPROVED, user=studio.rita)
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_add", args=[playlist.uuid]),
        {"storyboard": studio.storyboard.uuid},
        follow=True,
    )
    assert "Added 1 approved take; skipped 2 shots with no approved take." in response.text


def test_adding_a_storyboard_with_nothing_approved_explains_and_adds_nothing(
    client, studio, playlist, takes
):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_add", args=[playlist.uuid]),
        {"storyboard": studio.storyboard.uuid},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "Hero spot has no approved takes yet" in response.text
    assert not playlist.items.exists()


def test_the_button_says_add_all_approved_takes(client, studio, playlist, takes):
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert ">Add all approved takes</button>" in page and "Add all shots" not in page


def test_reorder_by_drag_and_refusal_of_foreign_ids(client, studio, playlist, items):
    client.force_login(studio.bob)
    url = reverse("playlist_reorder", args=[playlist.uuid])
    wanted = [items[2].uuid, items[0].uuid, items[1].uuid]
    response = client.post(url, {"item": wanted}, **HTMX)
    assert response.text.index("Shot 3") < response.text.index("Shot 1")
    response = client.post(url, {"item": [items[0].uuid]}, **HTMX)
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "every item of this playlist once" in response.text
    assert [i.uuid for i in playlist.items.all()] == wanted


def test_trim_out_of_range_is_explained_and_the_trim_kept(client, studio, playlist, items):
    client.force_login(studio.bob)
    url = reverse("playlist_item_trim", args=[items[0].uuid])
    client.post(url, {"trim_in": "0.5", "trim_out": "3"}, **HTMX)
    response = client.post(url, {"trim_in": "1", "trim_out": "9"}, **HTMX)
    assert "Trims must stay within the take: 0 to 4.0 s." in response.text
    response = client.post(url, {"trim_in": "abc"}, **HTMX)
    assert "Trims are seconds" in response.text
    items[0].refresh_from_db()
    assert str(items[0].trim_in) == "0.500"


def test_exporting_an_empty_or_unfinished_playlist_is_refused(client, studio, playlist, shots):
    client.force_login(studio.bob)
    url = reverse("playlist_export", args=[playlist.uuid])
    assert "Add takes to the playlist before exporting it." in client.post(url, **HTMX).text
    running = make_take(shots[0], 5, status="running")
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[running])
    response = client.post(url, **HTMX)
    assert "Item 1 is not a finished take" in response.text
    assert not Export.objects.exists()


def test_duplicate_makes_a_variant_and_opens_it(client, studio, playlist, items):
    client.force_login(studio.bob)
    response = client.post(reverse("playlist_duplicate", args=[playlist.uuid]))
    variant = Playlist.objects.get(name="Hero 15 (variant)")
    assert response.url == reverse("playlist_detail", args=[variant.uuid])
    assert variant.items.count() == 3


def test_viewer_sees_but_cannot_change(client, studio, playlist, items):
    client.force_login(studio.vera)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "Move up" not in page and ">Export</button>" not in page
    assert client.post(reverse("playlist_item_remove", args=[items[0].uuid])).status_code == 403
    assert playlist.items.count() == 3


def test_export_download_answers_range_requests_and_names_the_file(client, studio, export):
    export.video.save("x_v1.mp4", ContentFile(b"0123456789" * 100))
    client.force_login(studio.vera)
    url = reverse("export_download", args=[export.uuid])
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and b"".join(part.streaming_content) == b"0123456789"
    whole = client.get(url + "?download=1")
    assert whole["Content-Disposition"] == 'attachment; filename="x_v1.mp4"'
