"""The simulator's HTTP face: a stdlib ThreadingHTTPServer in front of SimulatedGateway.

Gateway API (Bearer sk-aig-... keys):
    POST /v1/videos/generations, GET /v1/jobs/{id}, POST /v1/jobs/{id}/cancel
Media (no key; a signed URL, Range requests answered with 206):
    GET|HEAD /media/{id}.mp4?expires=...&sig=...
Control API (no key; only reachable where the server listens):
    GET /_sim/state, POST /_sim/config (JSON merge), POST /_sim/reset,
    POST /_sim/jobs/{id}/complete-now
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from devtools.simulator.config import SimulatorConfig
from devtools.simulator.engine import SimulatedGateway
from devtools.simulator.protocol import ApiCall, Refused, Reply, error_reply
from devtools.simulator.video import VideoRenderer
from devtools.simulator.webhooks import WebhookSender

logger = logging.getLogger(__name__)

_TICK_SECONDS = 0.1
_CHUNK = 64 * 1024
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d+)?")


class _HTTPServer(ThreadingHTTPServer):
    # Stopping must not wait for a request that sleeps in a slow= fault.
    block_on_close = False

    def __init__(self, address: tuple[str, int], gateway: SimulatedGateway, *, log: bool) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway
        self.log_requests = log

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        if host == "0.0.0.0":  # noqa: S104 -- reached through loopback from this machine
            host = "127.0.0.1"
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "aigateway-simulator/1.0"
    _body = b""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            # Read every body, used or not: closing on unread bytes resets the connection, and
            # the caller could lose our answer.
            length = self.headers["Content-Length"] or ""
            self._body = self.rfile.read(int(length)) if length.isdigit() else b""
            route, params = _find_route(self.command, url.path)
            route(self, query=parse_qs(url.query), **params)
        except Refused as refusal:
            self._send(refusal.reply)
        except ConnectionError:
            pass  # the client went away mid-answer; nothing left to tell it
        except Exception:
            logger.exception("simulator bug on %s %s", self.command, url.path)
            self._send(error_reply(500, "server_error", "The simulator hit a bug: see its log."))

    # Gateway API.

    def submit(self, **_: Any) -> None:
        self._api("submit", body=self._json_body(), idempotency_key=self.headers["Idempotency-Key"])

    def poll(self, *, job_id: str, **_: Any) -> None:
        self._api("poll", job_id=job_id)

    def cancel(self, *, job_id: str, **_: Any) -> None:
        self._api("cancel", job_id=job_id)

    def _api(self, endpoint: str, **details: Any) -> None:
        call = ApiCall(endpoint, self.headers["Authorization"], self._origin(), **details)
        self._send(self.server.gateway.api_request(call))

    def media(self, *, job_id: str, query: dict[str, list[str]]) -> None:
        path = self.server.gateway.media_file(
            job_id,
            expires=query.get("expires", [""])[0],
            sig=query.get("sig", [""])[0],
            with_authorization="Authorization" in self.headers,
            host=self.headers["Host"] or "",
        )
        size = path.stat().st_size
        byte_range = parse_range(self.headers["Range"], size)
        first, last = byte_range or (0, size - 1)
        self.send_response(206 if byte_range else 200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(last - first + 1))
        if byte_range:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        if self.command != "HEAD":
            self._copy_bytes(path, first, last - first + 1)

    # Control API.

    def state(self, **_: Any) -> None:
        self._send(Reply(200, self.server.gateway.state()))

    def configure(self, **_: Any) -> None:
        changes = self._json_body()
        if not isinstance(changes, dict):
            raise Refused(error_reply(400, "invalid_request_error", "Send a JSON object."))
        try:
            self.server.gateway.configure(changes)
        except ValueError as exc:
            raise Refused(error_reply(400, "invalid_request_error", str(exc))) from exc
        self.state()

    def reset(self, **_: Any) -> None:
        self.server.gateway.reset()
        self.state()

    def complete_now(self, *, job_id: str, **_: Any) -> None:
        self._send(self.server.gateway.complete_now(job_id, self._origin()))

    # Plumbing.

    def _origin(self) -> str:
        public_url = self.server.gateway.config.public_url
        if public_url:
            return public_url.rstrip("/")
        host = self.headers["Host"] or ""
        return f"http://{host}" if _HOST_HEADER.fullmatch(host) else self.server.origin

    def _json_body(self) -> object:
        """The decoded JSON body, or None if there is none or it is not JSON."""
        try:
            return json.loads(self._body) if self._body else None
        except ValueError:
            return None

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True  # no status line at all: the caller sees a dead socket
            return
        payload = json.dumps(reply.body).encode() if reply.body is not None else b""
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _copy_bytes(self, path: Path, start: int, length: int) -> None:
        # media_bytes_per_second: a tenth of a second's worth at a time, each well within any
        # client's read timeout, so that only a deadline on the whole download ends it.
        rate = self.server.gateway.config.media_bytes_per_second
        size = max(1, rate // 10) if rate else _CHUNK
        with path.open("rb") as source:
            source.seek(start)
            while length > 0:
                chunk = source.read(min(size, length))
                if not chunk:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
                length -= len(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)


_JOB_ID = r"(?P<job_id>[A-Za-z0-9_\-]+)"
_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., None]]] = [
    ("POST", re.compile(r"/v1/videos/generations"), _Handler.submit),
    ("GET", re.compile(rf"/v1/jobs/{_JOB_ID}"), _Handler.poll),
    ("POST", re.compile(rf"/v1/jobs/{_JOB_ID}/cancel"), _Handler.cancel),
    ("GET", re.compile(rf"/media/{_JOB_ID}\.mp4"), _Handler.media),
    ("HEAD", re.compile(rf"/media/{_JOB_ID}\.mp4"), _Handler.media),
    ("GET", re.compile(r"/_sim/state"), _Handler.state),
    ("POST", re.compile(r"/_sim/config"), _Handler.configure),
    ("POST", re.compile(r"/_sim/reset"), _Handler.reset),
    ("POST", re.compile(rf"/_sim/jobs/{_JOB_ID}/complete-now"), _Handler.complete_now),
]


def _find_route(method: str, path: str) -> tuple[Callable[..., None], dict[str, str]]:
    for route_method, pattern, route in _ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return route, match.groupdict()
    raise Refused(error_reply(404, "not_found", f"Unknown endpoint {method} {path}."))


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `bytes=` range, or None to send the whole file.

    Anything we do not understand (several ranges, other units) gets the whole file, which the
    HTTP spec allows; a range past the end gets 416.
    """
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or not any(match.groups()):
        return None
    start, end = match.groups()
    if start:
        first, last = int(start), min(int(end), size - 1) if end else size - 1
    else:
        first, last = max(0, size - int(end)), size - 1
    if first >= size or first > last:
        raise Refused(Reply(416, headers={"Content-Range": f"bytes */{size}"}))
    return first, last


class SimulatorServer:
    """The simulator, in-process: bound at construction, serving after start() until stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SimulatorConfig | None = None,
        *,
        log_requests: bool = False,
    ) -> None:
        config = config or SimulatorConfig()
        self._own_media_dir = config.media_dir is None
        media_dir = Path(config.media_dir or tempfile.mkdtemp(prefix="aigateway-simulator-"))
        media_dir.mkdir(parents=True, exist_ok=True)
        self._media_dir = media_dir
        self._renderer = VideoRenderer(media_dir)
        self._webhooks = WebhookSender()
        self.gateway = SimulatedGateway(config, self._renderer, self._webhooks)
        self._httpd = _HTTPServer((host, port), self.gateway, log=log_requests)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self._httpd.origin

    def start(self) -> Self:
        self._threads = [
            threading.Thread(
                # A short poll interval: stop() waits for the loop to notice, once per test.
                target=self._httpd.serve_forever,
                args=(0.05,),
                name="simulator-http",
                daemon=True,
            ),
            threading.Thread(target=self._tick, name="simulator-clock", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._threads:
            self._httpd.shutdown()
        self._httpd.server_close()
        self._renderer.close()
        self._webhooks.close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._own_media_dir:
            shutil.rmtree(self._media_dir, ignore_errors=True)

    def configure(self, **changes: Any) -> None:
        """The in-process twin of POST /_sim/config."""
        self.gateway.configure(changes)

    def state(self) -> dict[str, Any]:
        return self.gateway.state()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _tick(self) -> None:
        # Without anyone polling, finished jobs still need their webhooks sent.
        while not self._stopping.wait(_TICK_SECONDS):
            self.gateway.tick()
