"""Copy a finished video from the gateway's media host into our own storage.

The media URL comes from a remote answer, so it is treated as untrusted: only allowlisted origins,
no redirects, no credentials, a size cap, one deadline for the whole download, and nothing at
`dest` until the whole file has arrived.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

# A signed media URL past its validity answers one of these; the job record has a fresh one.
_EXPIRED_STATUSES = frozenset({403, 404, 410})


class MediaError(Exception):
    """Base for everything that can go wrong with a generated video file."""


class MediaDownloadError(MediaError):
    """The download failed (network, server error); trying again later may work."""


class MediaRefused(MediaDownloadError):
    """The URL or the answer breaks a rule (origin, redirect, size): trying again will not help."""


class MediaTooSlow(MediaDownloadError):
    """The download did not finish within its deadline (a host that drips bytes)."""


class MediaExpired(MediaDownloadError):
    """The signed URL is no longer valid: fetch the job record again for a fresh one."""


def download_media(
    url: str,
    dest: Path,
    *,
    allowed_origins: Sequence[str],
    max_bytes: int,
    timeout: float = 60.0,
    deadline: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Download `url` to `dest` within `deadline` seconds; return the number of bytes written.

    `timeout` bounds each network wait, so a host that sends a byte now and then never trips
    it; `deadline` bounds the whole download (overrun by one read at most, up to `timeout`).
    """
    target = _checked_url(url, allowed_origins)
    started = time.monotonic()
    # trust_env=False: no proxy and no .netrc credentials from the environment ride along.
    with httpx.Client(
        timeout=timeout, transport=transport, follow_redirects=False, trust_env=False
    ) as client:
        try:
            with client.stream("GET", target) as response:
                _check_response(response, max_bytes)
                chunks = response.iter_bytes()
                if deadline is not None:
                    chunks = _within(chunks, started + deadline, deadline)
                return _write_atomically(chunks, dest, max_bytes)
        except httpx.HTTPError as exc:
            raise MediaDownloadError(f"the download of {_origin_of(target)} failed: {exc}") from exc


def _within(chunks: Iterator[bytes], ends_at: float, deadline: float) -> Iterator[bytes]:
    """The chunks, until the clock passes `ends_at` (checked as each arrives)."""
    for chunk in chunks:
        if time.monotonic() > ends_at:
            raise MediaTooSlow(f"the download took longer than {deadline:g} s")
        yield chunk


def _origin_of(url: httpx.URL) -> str:
    """scheme://host[:port], with the port only when it is not the scheme's default."""
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    port = f":{url.port}" if url.port not in (None, default_port) else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}"


def _checked_url(url: str, allowed_origins: Sequence[str]) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise MediaRefused(f"the media URL is not a valid URL: {exc}") from exc
    if target.scheme not in ("http", "https"):
        raise MediaRefused(f"the media URL must be http or https, not {target.scheme!r}")
    if target.userinfo:
        raise MediaRefused("the media URL carries credentials, which are never sent")
    origin = _origin_of(target)
    if origin not in {_normalised_origin(allowed) for allowed in allowed_origins}:
        raise MediaRefused(f"{origin} is not an allowed media origin")
    _refuse_private_name(target)
    return target


def _normalised_origin(origin: str) -> str:
    return _origin_of(httpx.URL(origin.strip().rstrip("/")))


def _refuse_private_name(target: httpx.URL) -> None:
    """Refuse an allowlisted public host name that resolves into our own network.

    That is how DNS rebinding reaches internal services. An origin written as an IP address, as
    `localhost` or as a single-label name (a docker-compose service) names a local host on purpose:
    ICANN allows no dotless public names, so only dotted names are expected to be public.
    """
    host = target.host
    if _is_ip_address(host) or "." not in host:
        return
    try:
        answers = socket.getaddrinfo(host, target.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise MediaDownloadError(f"the media host {host} cannot be resolved: {exc}") from exc
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise MediaRefused(f"the media host {host} resolves to the private address {address}")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_response(response: httpx.Response, max_bytes: int) -> None:
    status = response.status_code
    if response.is_redirect:
        location = response.headers.get("Location", "somewhere")
        raise MediaRefused(f"the media server redirected to {location}; redirects are not followed")
    if status in _EXPIRED_STATUSES:
        raise MediaExpired(f"the media URL answered HTTP {status}: it has probably expired")
    if status != 200:
        raise MediaDownloadError(f"the media URL answered HTTP {status}")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise MediaRefused(f"the video is {declared} bytes, more than the {max_bytes} allowed")


def _write_atomically(chunks: Iterator[bytes], dest: Path, max_bytes: int) -> int:
    """Stream into a temporary file beside `dest` and move it into place only once complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    written = 0
    try:
        with os.fdopen(fd, "wb") as temp:
            for chunk in chunks:
                written += len(chunk)
                # Content-Length can lie or be missing: count what actually arrives.
                if written > max_bytes:
                    raise MediaRefused(f"the video is larger than the {max_bytes} bytes allowed")
                temp.write(chunk)
        os.replace(temp_name, dest)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return written
