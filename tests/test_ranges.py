"""Media behind the proxy: with STUDIO_MEDIA_SERVING = "x-accel" every media view still checks
access, then answers an empty 200 with X-Accel-Redirect for nginx to serve (Range and all);
with "django" (the default) nothing changes."""

import pytest
from django.core.checks import Error
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.deliveries.models import Delivery
from studio.generation.models import Take
from studio.playlists.models import Export
from studio.ranges import check_media_serving

# (route, world key, the file field's owner and field)
MEDIA = [
    ("take_video", "take", Take, "video"),
    ("take_poster", "take", Take, "poster"),
    ("export_download", "export", Export, "video"),
    ("delivery_package", "delivery", Delivery, "package"),
]


@pytest.fixture
def accel(settings):
    settings.STUDIO_MEDIA_SERVING = "x-accel"
    return settings


@pytest.mark.parametrize(("route", "key", "model", "field"), MEDIA)
def test_x_accel_hands_the_file_to_the_proxy_without_a_body(
    client, studio, world, accel, route, key, model, field
):
    client.force_login(studio.vera)
    stored = getattr(model.objects.get(uuid=world[key]), field)
    response = client.get(reverse(route, args=[world[key]]), headers={"Range": "bytes=0-3"})
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{stored.name}"
    assert response.content == b""
    assert "private" in response["Cache-Control"]
    assert "Content-Range" not in response


def test_x_accel_keeps_the_content_type_and_the_download_name(client, studio, world, accel):
    client.force_login(studio.bob)
    package = client.get(reverse("delivery_package", args=[world["delivery"]]))
    assert package["Content-Type"] == "application/zip"
    assert package["Content-Disposition"].startswith("attachment; filename=")
    video = client.get(reverse("export_download", args=[world["export"]]) + "?download=1")
    assert video["Content-Type"] == "video/mp4"
    assert video["Content-Disposition"] == 'attachment; filename="cut_v1.mp4"'


@pytest.mark.parametrize(("route", "key"), [(route, key) for route, key, _, _ in MEDIA])
def test_outsider_gets_404_before_any_redirect(client, studio, world, accel, route, key):
    client.force_login(studio.oscar)
    response = client.get(reverse(route, args=[world[key]]))
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_a_name_with_spaces_and_accents_is_quoted(client, studio, world, accel):
    Export.objects.filter(uuid=world["export"]).update(video="exports/café cut v1.mp4")
    client.force_login(studio.vera)
    response = client.get(reverse("export_download", args=[world["export"]]))
    assert response["X-Accel-Redirect"] == "/protected-media/exports/caf%C3%A9%20cut%20v1.mp4"


def test_the_prefix_is_a_setting(client, studio, world, accel):
    accel.STUDIO_MEDIA_ACCEL_PREFIX = "/internal/"
    client.force_login(studio.vera)
    response = client.get(reverse("take_poster", args=[world["take"]]))
    assert response["X-Accel-Redirect"].startswith("/internal/")


def test_django_mode_serves_the_bytes_with_range_as_before(client, studio, world):
    client.force_login(studio.vera)
    url = reverse("take_poster", args=[world["take"]])
    response = client.get(url, headers={"Range": "bytes=0-3"})
    assert response.status_code == 206 and "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == b"\xff\xd8po"


@pytest.mark.parametrize(("route", "key"), [(route, key) for route, key, _, _ in MEDIA])
def test_x_accel_costs_the_same_queries_as_django_mode(client, studio, world, settings, route, key):
    client.force_login(studio.vera)
    url = reverse(route, args=[world[key]])
    counts = {}
    for mode in ("django", "x-accel"):
        settings.STUDIO_MEDIA_SERVING = mode
        client.get(url)  # the session's first read is not the view's
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            getattr(response, "streaming_content", None)
        counts[mode] = len(queries)
    assert counts["django"] == counts["x-accel"]


def test_an_unknown_serving_mode_fails_the_start_up_checks(settings):
    settings.STUDIO_MEDIA_SERVING = "nginx"
    [error] = check_media_serving()
    assert isinstance(error, Error) and error.id == "studio.E001"
    assert "'nginx'" in error.msg and "x-accel" in error.msg
    settings.STUDIO_MEDIA_SERVING = "x-accel"
    assert check_media_serving() == []
