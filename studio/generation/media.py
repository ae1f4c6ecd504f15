"""Bringing a finished take into the studio's own storage (download, check, poster frame), and
serving it from there."""

import subprocess
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from studio import gateway
from studio.formatting import a_seconds
from studio.gateway.media import MediaTooSlow
from studio.ranges import ranged_file_response

from .models import Take, take_upload_to

DURATION_TOLERANCE = Decimal("0.5")  # seconds; encoders round to whole frames and audio packets


class ResultRejected(Exception):
    """The gateway's result cannot be kept: not allowed, not a video, too large, wrong length."""


class ResultExpired(Exception):
    """The signed result URL has expired: fetch the job record again for a fresh one."""


@dataclass(frozen=True)
class StoredMedia:
    video_name: str
    poster_name: str
    resolution: str
    duration: Decimal


def store_take_media(*, take: Take, url: str) -> StoredMedia:
    with tempfile.TemporaryDirectory(prefix="take-") as workdir:
        video_path = Path(workdir) / "take.mp4"
        info = _download_and_probe(url, video_path)
        if abs(info.duration - take.duration) > DURATION_TOLERANCE:
            raise ResultRejected(
                f"The gateway returned {info.duration:.1f} s of video"
                f" for {a_seconds(take.duration)} take."
            )
        poster_path = Path(workdir) / "poster.jpg"
        make_poster(video_path, poster_path, at_seconds=min(Decimal(1), info.duration / 2))
        return StoredMedia(
            video_name=_save_file(take, video_path, "take.mp4"),
            poster_name=_save_file(take, poster_path, "poster.jpg"),
            resolution=f"{info.width}x{info.height}",
            duration=info.duration.quantize(Decimal("0.001")),
        )


def _download_and_probe(url: str, dest: Path) -> gateway.VideoInfo:
    try:
        gateway.download_media(
            url,
            dest,
            allowed_origins=settings.AIGATEWAY_MEDIA_ORIGINS,
            max_bytes=settings.AIGATEWAY_MAX_MEDIA_BYTES,
            deadline=settings.AIGATEWAY_MEDIA_DEADLINE_SECONDS,
        )
    except gateway.MediaExpired as error:
        raise ResultExpired(str(error)) from error
    except MediaTooSlow as error:
        raise ResultRejected(
            f"The video took longer than {settings.AIGATEWAY_MEDIA_DEADLINE_SECONDS:g} s to"
            " download; retry the take to try again."
        ) from error
    except (gateway.MediaRefused, gateway.MediaDownloadError) as error:
        raise ResultRejected(f"The result could not be fetched: {error}") from error
    try:
        return gateway.probe_video(dest)
    except gateway.NotAVideo as error:
        raise ResultRejected("The gateway's result is not a playable video.") from error


def make_poster(video: Path, poster: Path, *, at_seconds: Decimal) -> None:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-ss",
            str(at_seconds),
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-q:v",
            "3",
            str(poster),
        ],
        check=True,
        timeout=60,
    )


def _save_file(take: Take, path: Path, filename: str) -> str:
    with path.open("rb") as handle:
        return default_storage.save(take_upload_to(take, filename), File(handle))


TAKE_MEDIA_TYPES = {"video": "video/mp4", "poster": "image/jpeg"}


def take_media(request: HttpRequest, take: Take, kind: str) -> HttpResponseBase:
    """A take's video or poster from our storage, with Range: the team's views and share
    links' alike (each has checked access first)."""
    file = getattr(take, kind)
    if not file:
        raise Http404(f"This take has no {kind} yet.")
    return ranged_file_response(request, file, content_type=TAKE_MEDIA_TYPES[kind])
