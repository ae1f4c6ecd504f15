from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


def revalidate_pages(get_response: Callable[[HttpRequest], HttpResponse]):
    """Pages change under the user's feet (live takes, teammates' edits), so the browser must
    ask again rather than show a stale copy on Back; static files keep their own caching."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response

    return middleware


class CompressHtml(GZipMiddleware):
    """Gzip for the studio's own HTML answers only: a 300-shot storyboard is a few hundred KB
    of markup that repeats itself. Never media (a video compresses to nothing and its Range
    answers would break), never a streamed or partial answer, never what is encoded already.
    Django's GZipMiddleware does the compressing, with its BREACH mitigation (random bytes in
    the gzip header, so that the length of a page carrying a CSRF token says nothing)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.streaming
            or response.status_code != 200
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        return super().process_response(request, response)
