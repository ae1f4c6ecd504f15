"""Every view is scoped to the user's teams: an outsider gets 404, never a hint of the object."""

from collections.abc import Iterator

import pytest
from django.urls import URLResolver, get_resolver, reverse

from studio.generation.models import Take
from tests.urls_table import ACCOUNT_ROUTES, EXEMPT, GUEST_ROUTES, TEAM_ROUTES, snapshot

pytestmark = pytest.mark.django_db


def test_outsider_gets_404_on_every_team_url_and_nothing_changes(client, studio, world):
    client.force_login(studio.oscar)
    for route in TEAM_ROUTES:
        before = snapshot(client)
        response = route.send(client, studio, world)
        assert response.status_code == 404, route
        assert snapshot(client) == before, route


def test_anonymous_is_sent_to_login_from_every_team_and_account_url(client, studio, world):
    for route in [*ACCOUNT_ROUTES, *TEAM_ROUTES]:
        before = snapshot(client)
        response = route.send(client, studio, world)
        assert response.status_code == 302, route
        assert response.url.startswith(reverse("login")), route
        assert snapshot(client) == before, route


def test_a_forged_token_opens_no_guest_url(client, studio, world):
    client.force_login(studio.alice)  # not even for a member of the team
    for route in GUEST_ROUTES:
        before = snapshot(client)
        response = route.send(client, studio, world, token="not-a-token")
        assert response.status_code == 404, route
        assert snapshot(client) == before, route


def url_names(patterns, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name or pattern.pattern}"


def test_every_url_is_in_the_url_table():
    """A new URL goes into tests/urls_table.py, so that the walks above and the role walk
    send it: a team route, an account route, a guest route, or exempt with the reason."""
    tabled = {route.name for route in [*TEAM_ROUTES, *ACCOUNT_ROUTES, *GUEST_ROUTES]}
    missing = [
        name
        for name in url_names(get_resolver().url_patterns)
        if name not in tabled and name.split(":")[0] not in EXEMPT
    ]
    assert missing == []


def test_dashboard_lists_only_my_teams_projects(client, studio):
    client.force_login(studio.oscar)
    assert "Summer launch" not in client.get(reverse("dashboard")).text
    client.force_login(studio.vera)
    assert "Summer launch" in client.get(reverse("dashboard")).text


def test_viewer_may_look_but_not_generate_or_edit(client, studio):
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    assert page.status_code == 200
    assert "Generate" not in page.text and "Add shot" not in page.text
    assert client.post(reverse("shot_generate", args=[studio.shot.uuid])).status_code == 403
    response = client.post(
        reverse("shot_create", args=[studio.storyboard.uuid]),
        {"video_model": studio.veo.pk, "prompt": "x", "duration": 4, "aspect_ratio": "16:9"},
    )
    assert response.status_code == 403
    assert Take.objects.count() == 0
    assert studio.storyboard.shots.count() == 1


def test_reviewer_cannot_generate(client, studio):
    client.force_login(studio.rita)
    assert client.post(reverse("shot_generate", args=[studio.shot.uuid])).status_code == 403
    assert Take.objects.count() == 0


def test_pages_are_revalidated_so_back_never_shows_a_stale_storyboard(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    assert page["Cache-Control"] == "private, no-cache"
