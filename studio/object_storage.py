"""Media in a private S3 bucket (STUDIO_STORAGE = "s3"): the storage, its start-up check, and the
signed URL a media view redirects to once it has checked access."""

import threading
from pathlib import Path
from typing import TypeGuard

from botocore.exceptions import ClientError
from django.conf import settings
from django.core import checks
from django.core.files.storage import Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

STORAGE_CHOICES = ("local", "s3")


class StudioS3Storage(S3Storage):
    """S3Storage whose URLs are signed for the host browsers reach the store at. A signature
    covers the Host header, so a URL signed for compose's `minio:9000` is refused when a browser
    fetches it from `localhost:9000`: uploads and reads use `endpoint_url`, URLs the public one."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._signers = threading.local()

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_signers", None)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._signers = threading.local()

    def get_default_settings(self) -> dict:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        client = getattr(self._signers, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
            self._signers.client = client
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(name),
        }
        return client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )

    def download(self, name: str, target: Path) -> None:
        """Stream the object into the file `target` (in parts, never whole in memory)."""
        key = self._normalize_name(clean_name(name))
        try:
            self.bucket.Object(key).download_file(str(target), Config=self.transfer_config)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                raise FileNotFoundError(f"{name} is not in the bucket.") from error
            raise


def is_object_storage(storage: Storage | None) -> TypeGuard[StudioS3Storage]:
    return isinstance(storage, StudioS3Storage)


def signed_url(
    storage: StudioS3Storage, name: str, *, content_type: str, disposition: str | None = None
) -> str:
    """A short-lived URL the store answers (Range included) with the studio's Content-Type and,
    for a download, its Content-Disposition: both are signed parameters, so neither can be
    changed in the link."""
    parameters = {"ResponseContentType": content_type}
    if disposition is not None:
        parameters["ResponseContentDisposition"] = disposition
    return storage.url(name, parameters=parameters)


@checks.register(checks.Tags.compatibility)
def check_storage(**kwargs) -> list[checks.CheckMessage]:
    value = settings.STUDIO_STORAGE
    if value not in STORAGE_CHOICES:
        return [
            checks.Error(
                f"STUDIO_STORAGE is {value!r}; it must be one of {', '.join(STORAGE_CHOICES)}.",
                hint='"local" keeps media under MEDIA_ROOT; "s3" in a bucket (docs/deployment.md).',
                id="studio.E002",
            )
        ]
    if value == "s3" and not settings.STORAGES["default"]["OPTIONS"]["bucket_name"]:
        return [
            checks.Error(
                "STUDIO_STORAGE is 's3' but STUDIO_S3_BUCKET is empty.",
                hint="Name the private bucket media is kept in.",
                id="studio.E003",
            )
        ]
    return []
