"""Media in a private S3 bucket: what the store accepts, what it refuses, and what the studio
asks of it. The store is moto's server (tests/object_store.py), a real S3 API on a real port."""

import copy
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from studio.object_storage import StudioS3Storage, signed_url
from studio.storage_settings import media_storage, s3_public_origin, s3_storage_settings
from studio.stored_files import local_copy
from tests.factories import make_take


def test_the_default_storage_is_the_bucket_while_s3_is_on(s3_storage):
    assert isinstance(default_storage, StudioS3Storage)
    name = default_storage.save("takes/clip.mp4", ContentFile(b"x" * 1000))
    assert s3_storage.keys() == [name]


def test_a_signed_url_serves_a_range_and_a_tampered_or_unsigned_one_is_refused(s3_storage):
    name = default_storage.save("takes/clip.mp4", ContentFile(bytes(range(256)) * 4))
    url = signed_url(
        default_storage,
        name,
        content_type="video/mp4",
        disposition='attachment; filename="Hero cut.mp4"',
    )

    answer = httpx.get(url, headers={"Range": "bytes=0-99"})
    assert answer.status_code == 206
    assert answer.content == bytes(range(100))
    assert answer.headers["Content-Type"] == "video/mp4"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="Hero cut.mp4"'

    assert httpx.get(url.replace("video%2Fmp4", "text%2Fhtml")).status_code == 403
    assert httpx.get(url.split("?")[0]).status_code == 403


def test_a_local_copy_on_the_local_disk_is_the_stored_file_itself(studio, tmp_path):
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(b"local bytes"))
    run = tmp_path / "run"
    run.mkdir()
    assert local_copy(take.video, run) == Path(take.video.path)
    assert not any(run.iterdir())


def test_a_local_copy_from_the_store_is_made_once_in_the_work_folder(studio, tmp_path, s3_storage):
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(b"stored bytes"))
    copy = local_copy(take.video, tmp_path)
    assert copy.is_relative_to(tmp_path) and copy.read_bytes() == b"stored bytes"
    s3_storage.client.delete_object(Bucket=s3_storage.bucket, Key=take.video.name)
    assert local_copy(take.video, tmp_path) == copy  # the copy already made
    with pytest.raises(FileNotFoundError):
        local_copy(take.video, tmp_path / "another-run")


def test_urls_are_signed_for_the_public_address_and_match_the_media_policy():
    for config in (
        s3_storage_settings(
            bucket="acme-media", region="eu-west-1", access_key="k", secret_key="s"
        ),
        s3_storage_settings(
            bucket="studio-media",
            endpoint_url="http://minio:9000",
            public_endpoint_url="https://media.example.com",
            access_key="k",
            secret_key="s",
        ),
    ):
        storage = StudioS3Storage(**config["OPTIONS"])
        url = signed_url(storage, "takes/a b.mp4", content_type="video/mp4")
        origin = s3_public_origin(config["OPTIONS"])
        assert url.startswith(origin + "/") and "X-Amz-Expires=3600" in url
        assert copy.deepcopy(storage).url("x.mp4").startswith(origin + "/")
    assert origin == "https://media.example.com"
    assert url.startswith("https://media.example.com/studio-media/takes/a%20b.mp4?")


def test_signed_urls_last_an_hour_unless_told_otherwise():
    """Long enough for a paused <video> to go on with the URL it was redirected to (its Range
    requests never come back to the studio): see URL_SECONDS."""
    env = {"STUDIO_STORAGE": "s3", "STUDIO_S3_BUCKET": "studio-media"}
    assert media_storage(env).backend["OPTIONS"]["querystring_expire"] == 3600
    told = media_storage({**env, "STUDIO_S3_URL_SECONDS": "600"})
    assert told.backend["OPTIONS"]["querystring_expire"] == 600
