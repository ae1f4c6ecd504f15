"""The one video prober: prove that a file plays and read its vital facts with PyAV (no Django).

The gateway client checks each download with it (`studio.gateway.probe_video`), and the export
engine each input and its output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream

_MILLISECOND = Decimal("0.001")


class Unplayable(Exception):
    """The file is not a decodable video (an HTML error page, a truncated file, audio only...)."""


@dataclass(frozen=True)
class AudioFormat:
    codec: str
    sample_rate: int
    channels: int
    extradata: bytes


@dataclass(frozen=True)
class VideoInfo:
    duration: Decimal
    width: int
    height: int
    frame_rate: Fraction | None
    pixel_format: str
    video_codec: str
    video_profile: str | None
    # The decoder setup (H.264 SPS/PPS, AAC config): an MP4 joined by stream copy keeps only the
    # first take's, so the export engine copies only when every take's is byte for byte the same.
    video_extradata: bytes
    audio: AudioFormat | None


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Open the file with FFmpeg (PyAV) and decode one frame; raise Unplayable if that fails."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            return _inspect(container, path.name)
    except (av.FFmpegError, OSError) as exc:
        raise Unplayable(f"{path.name} is not a readable video: {exc}") from exc


def _inspect(container: InputContainer, name: str) -> VideoInfo:
    if not container.streams.video:
        raise Unplayable(f"{name} has no video stream")
    video = container.streams.video[0]
    duration = _duration(container, video)
    if duration is None or duration <= 0:
        raise Unplayable(f"{name} has no duration: it is a still image or a broken file")
    # Headers can look right on a broken file: only a decoded frame proves that it plays.
    if next(container.decode(video), None) is None:
        raise Unplayable(f"{name} has no decodable frame")
    context = video.codec_context
    audio = None
    if container.streams.audio:
        sound = container.streams.audio[0].codec_context
        audio = AudioFormat(
            codec=sound.name,
            sample_rate=sound.sample_rate,
            channels=sound.layout.nb_channels,
            extradata=bytes(sound.extradata or b""),
        )
    rate = video.average_rate or video.guessed_rate
    return VideoInfo(
        duration=duration,
        width=context.width,
        height=context.height,
        frame_rate=Fraction(rate.numerator, rate.denominator) if rate else None,
        pixel_format=context.format.name if context.format else "",
        video_codec=context.name,
        video_profile=context.profile,
        video_extradata=bytes(context.extradata or b""),
        audio=audio,
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


@dataclass(frozen=True)
class AudioInfo:
    duration: Decimal
    codec: str
    sample_rate: int
    channels: int


def probe_audio(path: str | os.PathLike[str]) -> AudioInfo:
    """The first audio stream's facts, after decoding one frame of it; raise Unplayable if the
    file is not sound (a renamed image, a truncated upload, a video without sound)."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise Unplayable(f"{path.name} has no sound")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                seconds = Fraction(stream.duration) * stream.time_base
            elif container.duration is not None:
                seconds = Fraction(container.duration, av.time_base)
            else:
                raise Unplayable(f"{path.name} has no duration")
            if next(container.decode(stream), None) is None:
                raise Unplayable(f"{path.name} has no decodable sound")
            context = stream.codec_context
            duration = Decimal(seconds.numerator) / Decimal(seconds.denominator)
            return AudioInfo(
                duration=duration.quantize(_MILLISECOND),
                codec=context.name,
                sample_rate=context.sample_rate,
                channels=context.layout.nb_channels,
            )
    except (av.FFmpegError, OSError) as exc:
        raise Unplayable(f"{path.name} is not readable sound: {exc}") from exc
