"""Serving the studio and a minimal view over real HTTP in this process, counting queries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import override_settings

QUERIES_HEADER = "X-Bench-Queries"


def minimal(request: HttpRequest) -> HttpResponse:
    """The floor: the same server and middleware, no work of the studio's own."""
    return HttpResponse("ok")


def bench_urlconf() -> ModuleType:
    """The studio's URLs plus the minimal view. Made at run time, because including
    studio.urls imports the models, which this module cannot do before django.setup()."""
    from django.urls import include, path

    urls = ModuleType("bench_urls")
    urls.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/minimal/", minimal),
        path("", include("studio.urls")),
    ]
    return urls


def counting_queries(app: Callable) -> Callable:
    """Adds X-Bench-Queries to each response: the statements its request ran. Django's
    connections are per thread and the server gives each connection its own thread, so the
    wrapper sees this request's statements only. Django calls start_response once the view and
    the middleware are done, so the count is complete by then."""

    def counted(environ, start_response):
        count = 0

        def tally(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, (QUERIES_HEADER, str(count))], exc_info)

        with connection.execute_wrapper(tally):
            return app(environ, start)

    return counted


class QuietHandler(WSGIRequestHandler):
    # wsgiref sends the headers and the body in two writes: with Nagle's algorithm on, the body
    # waits for the client's delayed ACK of the headers, adding 40 ms to every small answer.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        """A line per request would be the bench's main cost."""


class BenchServer(ThreadedWSGIServer):
    # 50 viewers connect at once: with Django's backlog of 10 the kernel drops the extra SYNs,
    # and those connections would start a second or more late.
    request_queue_size = 128


@contextmanager
def serving() -> Iterator[str]:
    """The studio plus the minimal view on 127.0.0.1, in a thread; yields the base URL."""
    # No collectstatic in a throwaway run: plain static URLs instead of the manifest's (one
    # dict lookup per {% static %}), and nothing static is fetched.
    plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        ROOT_URLCONF=bench_urlconf(), STORAGES={**settings.STORAGES, "staticfiles": plain_static}
    ):
        server = BenchServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.set_app(counting_queries(WSGIHandler()))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
