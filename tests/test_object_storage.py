"""Media in a private S3 bucket: what the store accepts, what it refuses, and what the studio
asks of it. The store is moto's server (tests/object_store.py), a real S3 API on a real port."""

import copy
import json
import uuid
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from moto.core.authorization import enable_iam_authentication

from devtools.object_store import client
from studio.object_storage import StudioS3Storage, signed_url
from studio.storage_settings import media_storage, s3_public_origin, s3_storage_settings
from studio.stored_files import local_copy
from tests.factories import make_take
from tests.object_store import REGION, s3_client

POLICY = Path(__file__).resolve().parent.parent / "deploy" / "minio-studio-policy.json"


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


@pytest.fixture
def policy_user(s3_server):
    """The bucket compose's policy (deploy/minio-studio-policy.json) names, another bucket, and
    the keys of a user under that policy alone; while the test runs, moto checks every request
    against its IAM as AWS does, so that a call the policy does not allow is refused."""
    bucket = json.loads(POLICY.read_text())["Statement"][0]["Resource"][0].split(":::")[1]
    other = f"studio-other-{uuid.uuid4().hex[:12]}"
    root = s3_client(s3_server)
    iam = client("iam", s3_server)
    user = f"studio-{uuid.uuid4().hex[:12]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="studio", PolicyDocument=POLICY.read_text())
    key = iam.create_access_key(UserName=user)["AccessKey"]
    for name in (bucket, other):
        root.create_bucket(Bucket=name)
    root.put_object(Bucket=other, Key="secret.txt", Body=b"not the studio's")
    try:
        with enable_iam_authentication():
            yield bucket, other, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        for name in (bucket, other):
            for item in root.list_objects_v2(Bucket=name).get("Contents", []):
                root.delete_object(Bucket=name, Key=item["Key"])
            root.delete_bucket(Bucket=name)


def test_the_policy_compose_gives_the_studio_allows_what_it_does_and_nothing_else(
    policy_user, s3_server, tmp_path
):
    bucket, other, access_key, secret_key = policy_user
    options = s3_storage_settings(
        bucket=bucket,
        endpoint_url=s3_server,
        region=REGION,
        access_key=access_key,
        secret_key=secret_key,
    )["OPTIONS"]
    storage = StudioS3Storage(**options)

    clip = storage.save("takes/clip.mp4", ContentFile(b"x" * 1000))
    # A name already taken is found taken (HEAD) and another one chosen.
    assert storage.save("takes/clip.mp4", ContentFile(b"y")) != clip
    # Past boto3's 8 MB threshold: a multipart upload, and a download in parts.
    cut = storage.save("exports/cut.mp4", ContentFile(b"z" * (9 * 1024 * 1024)))
    storage.download(cut, tmp_path / "cut.mp4")
    assert (tmp_path / "cut.mp4").stat().st_size == storage.size(cut) == 9 * 1024 * 1024
    with storage.open(clip) as stored:
        assert stored.read() == b"x" * 1000
    assert not storage.exists("takes/missing.mp4")
    assert len(storage.listdir("takes")[1]) == 2
    storage.delete(clip)
    assert not storage.exists(clip)

    studio = s3_client(s3_server, access_key=access_key, secret_key=secret_key)
    refused = [
        lambda: studio.get_object(Bucket=other, Key="secret.txt"),
        lambda: studio.put_object(Bucket=other, Key="x.mp4", Body=b"x"),
        lambda: studio.list_objects_v2(Bucket=other),
        lambda: studio.create_bucket(Bucket=f"studio-new-{uuid.uuid4().hex[:12]}"),
        lambda: studio.delete_bucket(Bucket=bucket),
        lambda: studio.put_bucket_policy(Bucket=bucket, Policy=POLICY.read_text()),
        lambda: studio.put_object_acl(Bucket=bucket, Key=cut, ACL="public-read"),
    ]
    for call in refused:
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
