"""Check that a downloaded file really is a playable video, and read its vital facts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from studio.gateway.media import MediaError

_MILLISECOND = Decimal("0.001")


class NotAVideo(MediaError):
    """The file is not a decodable video (an HTML error page, a truncated file, audio only...)."""


@dataclass(frozen=True)
class VideoInfo:
    duration: Decimal
    width: int
    height: int
    video_codec: str
    has_audio: bool


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Open the file with FFmpeg (PyAV) and decode one frame; raise NotAVideo if that fails."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            return _inspect(container, path.name)
    except av.FFmpegError as exc:
        raise NotAVideo(f"{path.name} is not a readable video: {exc}") from exc


def _inspect(container: InputContainer, name: str) -> VideoInfo:
    if not container.streams.video:
        raise NotAVideo(f"{name} has no video stream")
    stream = container.streams.video[0]
    duration = _duration(container, stream)
    if duration is None or duration <= 0:
        raise NotAVideo(f"{name} has no duration: it is a still image or a broken file")
    # Headers can look right on a broken file: only a decoded frame proves that it plays.
    if next(container.decode(stream), None) is None:
        raise NotAVideo(f"{name} has no decodable frame")
    return VideoInfo(
        duration=duration,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        video_codec=stream.codec_context.name,
        has_audio=bool(container.streams.audio),
    )


def _duration(container: InputContainer, stream: VideoStream) -> Decimal | None:
    """The video stream's own duration; AAC padding makes the container's a little longer."""
    if stream.duration is not None and stream.time_base is not None:
        seconds = Fraction(stream.duration) * stream.time_base
    elif container.duration is not None:
        seconds = Fraction(container.duration, av.time_base)
    else:
        return None
    return (Decimal(seconds.numerator) / Decimal(seconds.denominator)).quantize(_MILLISECOND)
