"""Media views with media in a private S3 bucket (moto's server, tests/object_store.py): after
the access check, a no-store 302 to a short-lived signed URL that the store serves with Range;
an outsider gets 404 before the store is asked anything, and a URL not signed for an object
(tampered, unsigned, or guessed from another object's) is refused by the store itself."""

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.brands.models import BrandKit, logo_upload_to
from studio.deliveries.models import Delivery, package_upload_to
from studio.generation.models import Take, take_upload_to
from studio.object_storage import StudioS3Storage
from studio.playlists import music
from studio.playlists.models import Export, ExportStatus, Playlist
from studio.review.models import ShareLink

# (route, world key, the file field's owner and field, the Content-Type served)
MEDIA = [
    ("take_video", "take", Take, "video", "video/mp4"),
    ("take_poster", "take", Take, "poster", "image/jpeg"),
    ("export_download", "export", Export, "video", "video/mp4"),
    ("delivery_package", "delivery", Delivery, "package", "application/zip"),
    ("playlist_music_file", "playlist", Playlist, "music", "audio/wav"),
    ("brand_kit_logo", "brand_kit", BrandKit, "logo", "image/png"),
]
ROUTES = [(route, key) for route, key, *_ in MEDIA]
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


@pytest.fixture
def stored(s3_storage, world):
    """The world of tests/urls_table.py, made once the bucket is the storage (fixtures are set
    up in the order they are named): its files are in the bucket."""
    return world


@pytest.mark.parametrize(("route", "key", "model", "field", "content_type"), MEDIA)
def test_a_member_is_redirected_to_a_signed_url_the_store_serves_with_range(
    client, studio, s3_storage, stored, route, key, model, field, content_type
):
    name = getattr(model.objects.get(uuid=stored[key]), field).name
    client.force_login(studio.vera)

    response = client.get(reverse(route, args=[stored[key]]), headers={"Range": "bytes=0-3"})

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_storage.endpoint_url}/{s3_storage.bucket}/{name}?")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=3600" in location
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    served = httpx.get(location, headers={"Range": "bytes=0-3"})
    assert served.status_code == 206
    assert served.content == s3_storage.read(name)[:4]
    assert served.headers["Content-Type"] == content_type
    assert served.headers["Content-Range"].startswith("bytes 0-3/")


def test_downloads_come_with_their_name_signed_into_the_url(client, studio, stored):
    client.force_login(studio.bob)
    export = client.get(reverse("export_download", args=[stored["export"]]) + "?download=1")
    served = httpx.get(export["Location"])
    assert served.headers["Content-Disposition"] == 'attachment; filename="cut_v1.mp4"'
    package = client.get(reverse("delivery_package", args=[stored["delivery"]]))
    served = httpx.get(package["Location"])
    assert served.headers["Content-Disposition"] == 'attachment; filename="delivery.zip"'
    playing = client.get(reverse("export_download", args=[stored["export"]]))
    assert "Content-Disposition" not in httpx.get(playing["Location"]).headers


def test_an_svg_logo_from_the_store_is_a_download_when_opened_on_its_own(client, studio, stored):
    kit = BrandKit.objects.get(uuid=stored["brand_kit"])
    BrandKit.objects.filter(pk=kit.pk).update(logo_type="svg")
    client.force_login(studio.vera)
    response = client.get(reverse("brand_kit_logo", args=[kit.uuid]))
    served = httpx.get(response["Location"])
    assert served.headers["Content-Type"] == "image/svg+xml"
    assert served.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(("route", "key"), ROUTES)
def test_outsider_gets_404_before_the_store_is_asked_anything(
    client, studio, stored, monkeypatch, route, key
):
    def no_call(*args, **kwargs):
        raise AssertionError("the store was asked before the access check")

    for method in ("url", "exists", "size", "_open"):
        monkeypatch.setattr(StudioS3Storage, method, no_call)
    client.force_login(studio.oscar)
    response = client.get(reverse(route, args=[stored[key]]))
    assert response.status_code == 404
    assert "Location" not in response


def test_the_store_refuses_a_url_changed_to_name_another_object_or_not_signed(
    client, studio, s3_storage, stored
):
    client.force_login(studio.vera)
    poster = client.get(reverse("take_poster", args=[stored["take"]]))["Location"]
    export_name = Export.objects.get(uuid=stored["export"]).video.name
    # Another object that is there, which its own signed URL opens: the 403 below is the
    # signature's doing, not a missing key's.
    assert s3_storage.read(export_name)
    export = client.get(reverse("export_download", args=[stored["export"]]))["Location"]
    assert httpx.get(export).status_code == 200
    # The path is signed: the poster's URL with the export's key in it does not open it.
    swapped = urlsplit(poster)._replace(path=f"/{s3_storage.bucket}/{quote(export_name)}")
    assert urlsplit(export).path == swapped.path
    assert httpx.get(swapped.geturl()).status_code == 403
    assert httpx.get(poster.replace("image%2Fjpeg", "text%2Fhtml")).status_code == 403
    assert httpx.get(poster.split("?")[0]).status_code == 403
    assert httpx.get(poster).status_code == 200


def test_every_name_the_studio_stores_under_has_a_random_part(studio, stored):
    """Signatures keep the bucket closed; a random part in every name keeps one object's URL
    from telling another's, should a signed URL leak. (An export's is its UUID's too:
    exports/<uuid>/<file>, see test_export_finishing.py's run in the store.)"""
    take = Take.objects.get(uuid=stored["take"])
    delivery = Delivery.objects.get(uuid=stored["delivery"])
    kit = BrandKit.objects.get(uuid=stored["brand_kit"])
    names = [
        take_upload_to(take, "take.mp4"),
        package_upload_to(delivery, "delivery.zip"),
        logo_upload_to(kit, "logo.png"),
        music.stored_name("Summer Song.mp3"),
    ]
    assert all(UUID.search(name) for name in names), names
    assert logo_upload_to(kit, "logo.png") != logo_upload_to(kit, "logo.png")


@pytest.mark.parametrize(("route", "key"), ROUTES)
def test_the_store_costs_the_media_views_no_query(
    client, studio, settings, s3_storage, stored, media_root, route, key
):
    """The same queries with media in the store as on the local disk."""
    client.force_login(studio.vera)
    url = reverse(route, args=[stored[key]])
    client.get(url)  # the session's first read is not the view's
    counts = {}
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 302
    counts["s3"] = len(queries)
    for name in s3_storage.keys():  # noqa: SIM118 (a listing, not a dict): the same files, on disk
        path = Path(media_root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3_storage.read(name))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        getattr(response, "streaming_content", None)
    counts["local"] = len(queries)
    assert counts["s3"] == counts["local"]


def test_a_share_link_s_guest_is_redirected_too_and_a_forged_token_asks_the_store_nothing(
    client, studio, stored, monkeypatch
):
    link = ShareLink.objects.get(uuid=stored["share_link"])  # the world's playlist
    client.post(reverse("share_name", args=[link.token]), {"name": "Clara"})
    Export.objects.filter(uuid=stored["export"]).update(status=ExportStatus.DONE)
    for route, key in (("share_take_video", "take"), ("share_export_video", "export")):
        response = client.get(reverse(route, args=[link.token, stored[key]]))
        assert response.status_code == 302, route
        assert httpx.get(response["Location"], headers={"Range": "bytes=0-9"}).status_code == 206

    def no_call(*args, **kwargs):
        raise AssertionError("the store was asked before the token was checked")

    monkeypatch.setattr(StudioS3Storage, "url", no_call)
    forged = reverse("share_take_video", args=["x" * len(link.token), stored["take"]])
    assert client.get(forged).status_code == 404
