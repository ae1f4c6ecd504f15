"""Every view is scoped to the user's teams: an outsider gets 404, never a hint of the object."""

import pytest
from django.urls import reverse

from studio.generation.models import Clip, ClipStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def take(studio) -> Clip:
    return Clip.objects.create(
        shot=studio.shot,
        take_number=1,
        video_model=studio.veo,
        prompt=studio.shot.prompt,
        duration=4,
        aspect_ratio="16:9",
        estimated_cost="1.60",
        status=ClipStatus.FAILED,
    )


def object_urls(studio, take) -> list[tuple[str, str]]:
    project, storyboard, shot = studio.project, studio.storyboard, studio.shot
    return [
        ("get", reverse("project_detail", args=[project.uuid])),
        ("get", reverse("storyboard_create", args=[project.uuid])),
        ("post", reverse("storyboard_create", args=[project.uuid])),
        ("get", reverse("storyboard_detail", args=[storyboard.uuid])),
        ("post", reverse("shot_create", args=[storyboard.uuid])),
        ("get", reverse("shot_form", args=[storyboard.uuid])),
        ("get", reverse("shot_estimate", args=[storyboard.uuid]) + "?duration=4"),
        ("get", reverse("storyboard_live", args=[storyboard.uuid])),
        ("post", reverse("shot_generate", args=[shot.uuid])),
        ("post", reverse("take_retry", args=[take.uuid])),
        ("post", reverse("take_cancel", args=[take.uuid])),
        ("post", reverse("take_select", args=[take.uuid])),
        ("post", reverse("take_check_again", args=[take.uuid])),
        ("get", reverse("take_video", args=[take.uuid])),
        ("get", reverse("take_poster", args=[take.uuid])),
    ]


def test_outsider_gets_404_on_every_object_url(client, studio, take):
    client.force_login(studio.oscar)
    for method, url in object_urls(studio, take):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
    assert Clip.objects.count() == 1
    assert studio.storyboard.project.storyboards.count() == 1


def test_anonymous_is_sent_to_login(client, studio, take):
    for method, url in [("get", reverse("dashboard")), *object_urls(studio, take)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


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
    assert Clip.objects.count() == 0
    assert studio.storyboard.shots.count() == 1


def test_reviewer_cannot_generate(client, studio):
    client.force_login(studio.rita)
    assert client.post(reverse("shot_generate", args=[studio.shot.uuid])).status_code == 403
    assert Clip.objects.count() == 0


def test_pages_are_revalidated_so_back_never_shows_a_stale_storyboard(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    assert page["Cache-Control"] == "private, no-cache"
