"""Export all end to end with the real export engine on tiny rendered takes: every deliverable
rendered by export_run, then packed; the sheet's facts are the rendered files'."""

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files import File

from devtools.simulator.video import VideoRenderer
from studio.deliveries import packing, services
from studio.deliveries.models import DeliveryStatus
from studio.playlists import exports
from studio.playlists.models import ExportStatus, PlaylistItem
from tests.factories import make_playlist, make_take

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    renderer = VideoRenderer(tmp_path_factory.mktemp("renders"))
    try:
        return renderer.render(prompt="Hook", duration=1, width=320, height=180).result(120)
    finally:
        renderer.close()


@pytest.fixture(params=["local", "s3"])
def storage(request) -> str:
    """Each way media may be kept: on this machine's disk, or in a bucket of the test's S3."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


def test_export_all_renders_each_deliverable_and_packs_what_was_rendered(
    studio, clip, storage, media_root
):
    take = make_take(studio.shot, ratio="16:9", length=1)
    take.resolution = "320x180"
    with clip.open("rb") as handle:
        take.video.save("take.mp4", File(handle))
    ad = make_playlist(studio.project, name="Hero")
    for platform, ratio in (("youtube", "16:9"), ("vertical", "9:16")):
        deliverable = make_playlist(
            studio.project,
            name=f"Hero {platform}",
            platform=platform,
            aspect_ratio=ratio,
            source=ad,
        )
        PlaylistItem.objects.create(playlist=deliverable, take=take, position=1)
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    files = list(delivery.files.select_related("export"))
    for file in files:
        exports.export_run(export_id=file.export_id)
        file.export.refresh_from_db()
        assert file.export.status == ExportStatus.DONE, file.export.error_message
    for delivery_id in packing.deliveries_check():
        packing.pack_run(delivery_id=delivery_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.READY, delivery.error_message
    with delivery.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("delivery-sheet.csv").decode())))
        for row, file in zip(rows, files, strict=True):
            data = archive.read(file.export.file_name)
            with file.export.video.open("rb") as rendered:
                assert data == rendered.read()
            assert row["SHA-256"] == hashlib.sha256(data).hexdigest()
            facts = file.export.manifest.get("file")
            if facts:  # an engine that states the file's facts: the sheet shows them
                assert row["Resolution"] == f"{facts['width']}x{facts['height']}"
                assert row["SHA-256"] == facts["sha256"]
    assert media_root.exists() == (storage == "local")
