"""A playlist renamed, or its placement and target length changed, from its page."""

import pytest
from django.urls import reverse

from studio.activity.models import Activity
from studio.playlists.models import Playlist

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def settings(**fields) -> dict:
    values = {"name": "Hero 15", "platform": "youtube", "length": "15"} | fields
    return {f"settings-{name}": value for name, value in values.items()}


def test_the_form_shows_the_playlists_own_values(client, studio, playlist):
    playlist.target_seconds = 20
    playlist.save(update_fields=["target_seconds"])
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "Rename, placement and target" in page
    assert 'name="settings-name" value="Hero 15"' in page
    assert '<option value="custom" selected>Custom</option>' in page
    assert 'name="settings-custom_seconds" value="20"' in page


def test_rename_and_change_placement_and_target(client, studio, playlist):
    client.force_login(studio.bob)
    url = reverse("playlist_settings", args=[playlist.uuid])
    response = client.post(url, settings(name="Reels 6", platform="vertical", length="6"), **HTMX)
    assert response["HX-Redirect"] == reverse("playlist_detail", args=[playlist.uuid])
    playlist.refresh_from_db()
    assert (playlist.name, playlist.aspect_ratio, playlist.target_seconds) == ("Reels 6", "9:16", 6)
    page = client.get(response["HX-Redirect"]).text
    assert "Saved: Reels 6." in page and "<h1>Reels 6</h1>" in page
    line = Activity.objects.get(verb="edited")
    assert (line.actor, line.subject) == (studio.bob, "playlist Reels 6 (9:16, 6 s)")


def test_without_javascript_the_change_returns_to_the_page(client, studio, playlist):
    client.force_login(studio.bob)
    url = reverse("playlist_settings", args=[playlist.uuid])
    assert "Rename, placement and target" in client.get(url).text
    response = client.post(url, settings(name="Renamed"))
    assert response.url == reverse("playlist_detail", args=[playlist.uuid])
    assert Playlist.objects.get().name == "Renamed"


def test_what_is_wrong_is_said_beside_its_field_and_nothing_changes(
    client, studio, playlist, django_assert_num_queries
):
    client.force_login(studio.bob)
    url = reverse("playlist_settings", args=[playlist.uuid])
    with django_assert_num_queries(3):  # user, playlist (+project, team), membership
        response = client.post(url, settings(name="", length="custom"), **HTMX)
    assert 'id="playlist-settings" class="playlist-settings" open' in response.text
    assert 'id="id_settings-name_error"' in response.text
    assert "Give the custom length in seconds." in response.text
    response = client.post(url, settings(platform="custom", aspect_ratio=""), **HTMX)
    assert "Choose 16:9 or 9:16 for a custom playlist." in response.text
    response = client.post(url, settings(name="Odd", length="custom", custom_seconds="0"), **HTMX)
    assert "greater than or equal to 1" in response.text
    playlist.refresh_from_db()
    assert (playlist.name, playlist.platform, playlist.target_seconds) == ("Hero 15", "youtube", 15)


def test_viewer_has_no_form_and_is_refused(client, studio, playlist):
    client.force_login(studio.vera)
    assert (
        "Rename, placement and target"
        not in client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    )
    url = reverse("playlist_settings", args=[playlist.uuid])
    assert client.get(url).status_code == 403
    assert client.post(url, settings(name="Mine now"), **HTMX).status_code == 403
    assert Playlist.objects.get().name == "Hero 15"


def test_outsider_gets_404(client, studio, playlist):
    client.force_login(studio.oscar)
    url = reverse("playlist_settings", args=[playlist.uuid])
    assert client.get(url).status_code == 404
    assert client.post(url, settings(name="Mine now")).status_code == 404
    assert Playlist.objects.get().name == "Hero 15"
