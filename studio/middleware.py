import gzip
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

# As Django's GZipMiddleware.max_random_bytes.
MAX_RANDOM_BYTES = 100


def revalidate_pages(get_response: Callable[[HttpRequest], HttpResponse]):
    """Pages change under the user's feet (live takes, teammates' edits), so the browser must
    ask again rather than show a stale copy on Back; static files keep their own caching."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response

    return middleware


def gzip_page(content: bytes) -> bytes:
    """Gzip at level 1: a storyboard's 300 KB of markup in 1 ms rather than level 6's 5 ms,
    for a few per cent more bytes (it repeats itself, which level 1 already finds). BREACH,
    as Django's GZipMiddleware answers it: random bytes of random length in the header's
    file name, so that the length of a page carrying a CSRF token says nothing."""
    compressed = gzip.compress(content, compresslevel=1, mtime=0)
    name = secrets.token_hex(secrets.randbelow(MAX_RANDOM_BYTES) + 1).encode() + b"\0"
    header = bytearray(compressed[:10])
    header[3] |= gzip.FNAME
    return bytes(header) + name + compressed[10:]


class CompressHtml(MiddlewareMixin):
    """Gzip for the studio's own HTML answers only: a 300-shot storyboard is a few hundred KB
    of markup that repeats itself. Never media (a video compresses to nothing and its Range
    answers would break), never a streamed or partial answer, never what is encoded already.
    As Django's GZipMiddleware otherwise: Vary, a weak ETag, nothing for short answers."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.streaming
            or response.status_code != 200
            or not response.get("Content-Type", "").startswith("text/html")
            or response.has_header("Content-Encoding")
        ):
            return response
        assert isinstance(response, HttpResponse)
        if len(response.content) < 200:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = gzip_page(response.content)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
