from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def revalidate_pages(get_response: Callable[[HttpRequest], HttpResponse]):
    """Pages change under the user's feet (live takes, teammates' edits), so the browser must
    ask again rather than show a stale copy on Back; static files keep their own caching."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response

    return middleware
