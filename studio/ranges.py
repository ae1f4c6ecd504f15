"""Serving stored media with HTTP Range support (206), so that seeking works in <video>.

Behind nginx (STUDIO_MEDIA_SERVING = "x-accel") the view still checks access, then hands the
bytes to the proxy with an internal redirect: no web worker is held for a long download. With
media in object storage (STUDIO_STORAGE = "s3") the view answers, after the same check, with a
redirect to a short-lived signed URL of the store, which serves Range itself."""

import re
from urllib.parse import quote

from django.conf import settings
from django.core import checks
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from studio.object_storage import StudioS3Storage, is_object_storage, signed_url

# Offsets past 18 digits (an exabyte) are no file's: such a header is ignored, as RFC 9110
# lets a server do with a range it cannot satisfy; the whole file is sent.
RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$", re.ASCII)
CHUNK = 256 * 1024


def ranged_file_response(
    request: HttpRequest, file: File, *, content_type: str, attachment: str | None = None
) -> HttpResponseBase:
    """The file, or the part of it the Range header asks for; a download named `attachment`
    when given. Marked private: what the access check let through is for this user's browser,
    never a shared cache."""
    storage = getattr(file, "storage", None)
    if is_object_storage(storage):
        return store_redirect(
            storage, file.name or "", content_type=content_type, attachment=attachment
        )
    if settings.STUDIO_MEDIA_SERVING == "x-accel" and isinstance(storage, FileSystemStorage):
        response = _accel(file, content_type)
    else:
        response = _ranged(request, file, content_type)
    patch_cache_control(response, private=True)
    if attachment is not None:
        response["Content-Disposition"] = content_disposition_header(True, attachment)
    return response


def store_redirect(
    storage: StudioS3Storage, name: str, *, content_type: str, attachment: str | None = None
) -> HttpResponseBase:
    """A 302 to the object's signed URL. The redirect itself is never stored: the URL in it
    expires in minutes, and it is this user's."""
    disposition = None if attachment is None else content_disposition_header(True, attachment)
    url = signed_url(storage, name, content_type=content_type, disposition=disposition)
    response = HttpResponseRedirect(url)
    patch_cache_control(response, private=True, no_store=True)
    return response


MEDIA_SERVING_CHOICES = ("django", "x-accel")


@checks.register(checks.Tags.compatibility)
def check_media_serving(**kwargs) -> list[checks.CheckMessage]:
    value = settings.STUDIO_MEDIA_SERVING
    if value in MEDIA_SERVING_CHOICES:
        return []
    return [
        checks.Error(
            f"STUDIO_MEDIA_SERVING is {value!r}; "
            f"it must be one of {', '.join(MEDIA_SERVING_CHOICES)}.",
            hint='"django" serves media (with Range) from the web process; "x-accel" lets nginx '
            "serve it after the access check (see docs/deployment.md).",
            id="studio.E001",
        )
    ]


def _accel(file: File, content_type: str) -> HttpResponseBase:
    """An empty answer nginx replaces with the file (Range included) from its internal location.
    The name is the storage's, relative to MEDIA_ROOT, which that location aliases."""
    response = HttpResponse(content_type=content_type)
    response["X-Accel-Redirect"] = settings.STUDIO_MEDIA_ACCEL_PREFIX + quote(file.name or "")
    return response


def _ranged(request: HttpRequest, file: File, content_type: str) -> HttpResponseBase:
    size = file.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or (not match[1] and not match[2]):
        response: HttpResponseBase = FileResponse(file.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = _bounds(match[1], match[2], size)
    if start is None:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(_read(file, start, end), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _bounds(first: str, last: str, size: int) -> tuple[int | None, int]:
    if not first:  # "bytes=-500": the last 500 bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length else (None, 0)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None, 0
    return start, end


def _read(file: File, start: int, end: int):
    with file.open("rb") as handle:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
