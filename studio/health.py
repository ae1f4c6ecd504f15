"""GET /healthz: is this web process able to serve? 200 "ok" when the database answers, 503
with the reason when it does not. For the container's health check and the proxy, not people.

`answer_health_checks` is the first middleware: the probe comes from inside the container
(http://127.0.0.1:8000/healthz), so it must pass before the host check (127.0.0.1 is not in
ALLOWED_HOSTS), the https redirect, the session and CSRF, none of which it needs."""

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)
PATH = "/healthz"


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health check: the database did not answer: %s", error)
        return _plain("database unavailable", status=503)
    return _plain("ok", status=200)


def _plain(text: str, *, status: int) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def answer_health_checks(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path == PATH:
            return healthz(request)
        return get_response(request)

    return middleware
