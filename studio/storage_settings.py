"""Where media lives, read from the environment by settings.py (docs/deployment.md, "Object
storage"). "local" (the default, what `make run` uses) is MEDIA_ROOT on this machine's disk;
"s3" is a private bucket of any S3 API (AWS, MinIO) that every web process and worker of a
deployment shares. The bucket is never public: every read is a signed URL that a media view
hands out after its access check, good for STUDIO_S3_URL_SECONDS. No Django here: the settings
import it."""

from collections.abc import Mapping
from dataclasses import dataclass

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

# How long a signed media URL stays good (STUDIO_S3_URL_SECONDS). A <video> follows the
# studio's redirect once, then makes every later Range request (a seek, the rest after a
# pause) to the signed URL itself: once it expires the store answers 403 mid-playback. An
# hour outlasts a review's pauses. The price is that a URL, once handed out, opens its one
# object for that hour: to whoever it leaks to, and to a member removed from the team in the
# meantime (access is checked when the URL is made, not when it is used).
URL_SECONDS = 3600


@dataclass(frozen=True)
class MediaStorage:
    choice: str  # STUDIO_STORAGE; studio.object_storage.check_storage refuses an unknown one
    backend: dict  # STORAGES["default"]
    origins: list[str]  # where browsers load media from besides the studio: for the CSP


def media_storage(environ: Mapping[str, str]) -> MediaStorage:
    choice = environ.get("STUDIO_STORAGE", "local").strip().lower()
    if choice != "s3":
        return MediaStorage(choice, LOCAL, [])
    backend = s3_storage_settings(
        bucket=environ.get("STUDIO_S3_BUCKET", "").strip(),
        endpoint_url=environ.get("STUDIO_S3_ENDPOINT_URL", "").strip(),
        public_endpoint_url=environ.get("STUDIO_S3_PUBLIC_ENDPOINT_URL", "").strip(),
        region=environ.get("STUDIO_S3_REGION", "").strip() or "us-east-1",
        access_key=environ.get("STUDIO_S3_ACCESS_KEY_ID", ""),
        secret_key=environ.get("STUDIO_S3_SECRET_ACCESS_KEY", ""),
        url_seconds=int(environ.get("STUDIO_S3_URL_SECONDS", URL_SECONDS)),
    )
    return MediaStorage(choice, backend, [s3_public_origin(backend["OPTIONS"])])


def s3_storage_settings(
    *,
    bucket: str,
    endpoint_url: str = "",
    public_endpoint_url: str = "",
    region: str = "us-east-1",
    access_key: str = "",
    secret_key: str = "",
    url_seconds: int = URL_SECONDS,
) -> dict:
    """The default storage's entry in STORAGES for a private S3 bucket (the tests build theirs
    here too, so that they run what a deployment runs). Without an endpoint it is AWS, where the
    bucket is addressed by host name; a self-hosted store (MinIO) takes it in the path. URLs are
    signed for the public endpoint, the address browsers use (compose: minio:9000 inside,
    localhost:9000 outside), since a signature covers the host."""
    return {
        "BACKEND": "studio.object_storage.StudioS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "public_endpoint_url": public_endpoint_url
            or endpoint_url
            or f"https://s3.{region}.amazonaws.com",
            "region_name": region,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "default_acl": None,  # the bucket's own: private
            "querystring_auth": True,
            "querystring_expire": url_seconds,
            "file_overwrite": False,  # a name already taken gets a random suffix
            "signature_version": "s3v4",
            "addressing_style": "path" if endpoint_url else "virtual",
            # A file read through the storage (a delivery zipping its exports) is fetched
            # into a temporary file: past this size on disk, not in the process's memory.
            "max_memory_size": 8 * 1024 * 1024,
        },
    }


def s3_public_origin(options: dict) -> str:
    """The origin browsers fetch signed URLs from, for the Content Security Policy."""
    scheme, _, host = options["public_endpoint_url"].partition("://")
    host = host.split("/")[0]
    if options["addressing_style"] == "virtual":
        host = f"{options['bucket_name']}.{host}"
    return f"{scheme}://{host}"
