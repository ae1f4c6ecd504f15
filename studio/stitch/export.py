"""Join a playlist's clips into one MP4 for delivery: losslessly when they match, else re-encoded.

Every input is probed first, so a bad item fails with a message naming it before ffmpeg starts.
Clips that share one encoding and already have the requested size are joined by the concat
demuxer without re-encoding (seconds for a minute of video, no quality loss); anything else is
normalised in one ffmpeg run: framed as each item asks (fitted with bars, cropped around a centre,
or fitted over a blurred copy of itself), 24 fps, yuv420p, H.264 + AAC stereo.
The result is written beside `dest` and renamed into place only once its duration checks out.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import IO, Literal

import imageio_ffmpeg

from studio.media_probe import Unplayable, VideoInfo, probe_video
from studio.stitch.framing import Framing, framing_filters

# The output is checked against the sum of its parts, give or take a frame an item: a clip
# whose frame rate is not the export's gains or loses up to one frame in the conversion.
FRAMES_OF_SLACK_PER_ITEM = 1
_MILLISECOND = Decimal("0.001")
# How often ffmpeg reports, and the least time between two callbacks however often it does.
_PROGRESS_INTERVAL = 0.25
_AUDIO_RATE = 48000


class ExportError(Exception):
    """The export cannot be made; the message says why in words a producer understands."""


@dataclass(frozen=True)
class Segment:
    path: Path
    trim_in: Decimal | None = None  # seconds from the start of the clip
    trim_out: Decimal | None = None  # seconds from the start of the clip (exclusive end)
    framing: Framing = field(default_factory=Framing)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    duration: Decimal
    width: int
    height: int
    method: Literal["copy", "reencode"]
    expected_duration: Decimal


def _stream_copy_key(clip: VideoInfo) -> tuple[object, ...]:
    """What must match across clips for the concat demuxer to join them without re-encoding."""
    return (
        clip.video_codec,
        clip.video_profile,
        clip.video_extradata,
        clip.width,
        clip.height,
        clip.frame_rate,
        clip.pixel_format,
        clip.audio,
    )


def stitch(
    segments: Sequence[Segment],
    dest: Path,
    *,
    width: int,
    height: int,
    fps: int = 24,
    on_progress: Callable[[int], None] | None = None,
    timeout: float = 600,
    force_reencode: bool = False,
) -> ExportResult:
    """Write the segments one after another to `dest` as an MP4 of width x height.

    Raises ExportError, leaving nothing at `dest` (nor beside it), for an unusable item, an ffmpeg
    failure, a timeout or a result of the wrong duration. An exception raised by `on_progress`
    stops the export in the same way and is raised again.
    """
    clips, spans = checked_inputs(segments, width=width, height=height, fps=fps)
    expected = sum((end - start for start, end in spans), Decimal(0))
    method: Literal["copy", "reencode"] = (
        "copy"
        if not force_reencode and _can_stream_copy(segments, clips, width, height, fps)
        else "reencode"
    )

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # ffmpeg creates the file, so it gets the usual permissions (mkstemp's are owner-only). The
    # name is short whatever dest's is: dest's own may already be as long as the system allows.
    temp = dest.with_name(f".export-{uuid.uuid4().hex}.part")
    concat_list: Path | None = None
    try:
        if method == "copy":
            concat_list = temp.with_suffix(".ffconcat")
            concat_list.write_text(_concat_list(segments), encoding="utf-8")
            command = _copy_command(concat_list, temp)
        else:
            command = _reencode_command(segments, clips, spans, temp, width, height, fps)
        _run(command, expected=expected, on_progress=on_progress, timeout=timeout)
        slack = Decimal(FRAMES_OF_SLACK_PER_ITEM * len(segments)) / fps
        result = _check_output(temp, expected, slack, width, height)
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)
        if concat_list is not None:
            concat_list.unlink(missing_ok=True)
    if on_progress is not None:
        on_progress(100)
    return ExportResult(
        path=dest,
        duration=result.duration,
        width=result.width,
        height=result.height,
        method=method,
        expected_duration=expected,
    )


def checked_inputs(
    segments: Sequence[Segment], *, width: int, height: int, fps: int
) -> tuple[list[VideoInfo], list[tuple[Decimal, Decimal]]]:
    """Each segment probed and its span checked against it, and the output's size and rate
    checked: what a plain join and a finished export both start from."""
    if not segments:
        raise ExportError("The playlist is empty: add at least one clip to export.")
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ExportError(f"The export size must be even and positive, not {width}x{height}.")
    if fps <= 0:
        raise ExportError(f"The frame rate must be positive, not {fps}.")
    for number, segment in enumerate(segments, 1):
        _check_framing(number, segment.framing)
    clips = [_probe_item(number, segment) for number, segment in enumerate(segments, 1)]
    spans = [
        _span(number, segment, clip)
        for number, (segment, clip) in enumerate(zip(segments, clips, strict=True), 1)
    ]
    return clips, spans


def _check_framing(number: int, framing: Framing) -> None:
    if framing.fill not in ("fit", "crop", "blur"):
        raise ExportError(
            f"Item {number}'s framing must be fit, crop or blur, not {framing.fill!r}."
        )
    centre = (Decimal(framing.centre_x), Decimal(framing.centre_y))
    if not all(Decimal(0) <= value <= Decimal(1) for value in centre):
        raise ExportError(
            f"Item {number}'s crop centre must be inside the frame: x and y from 0 to 1, "
            f"not {centre[0]}, {centre[1]}."
        )


def _probe_item(number: int, segment: Segment) -> VideoInfo:
    if not Path(segment.path).is_file():
        raise ExportError(f"Item {number}'s video file is missing.")
    try:
        return probe_video(Path(segment.path))
    except Unplayable as exc:
        raise ExportError(f"Item {number} is not a playable video.") from exc


def _span(number: int, segment: Segment, clip: VideoInfo) -> tuple[Decimal, Decimal]:
    """The part of the clip to use, in seconds from its start, checked against its length.
    Trims are moved to the nearest frame boundary: a cut can only fall between two frames."""
    start = Decimal(0) if segment.trim_in is None else Decimal(segment.trim_in)
    end = clip.duration if segment.trim_out is None else Decimal(segment.trim_out)
    if start < 0:
        raise ExportError(f"Item {number}'s trim starts before the clip.")
    if end > clip.duration:
        raise ExportError(
            f"Item {number}'s trim ends after the clip ({_seconds(clip.duration)} s)."
        )
    if start >= end:
        raise ExportError(
            f"Item {number}'s trim must start before it ends "
            f"({_seconds(start)} s to {_seconds(end)} s)."
        )
    if not clip.frame_rate:
        return start, end
    first = start if segment.trim_in is None else _on_frame(start, clip.frame_rate)
    last = end if segment.trim_out is None else _on_frame(end, clip.frame_rate)
    if first >= last:
        raise ExportError(
            f"Item {number}'s trim is shorter than one frame "
            f"({_seconds(start)} s to {_seconds(end)} s)."
        )
    return first, last


def _on_frame(seconds: Decimal, rate: Fraction) -> Decimal:
    frames = round(Fraction(seconds) * rate)
    return Decimal(frames * rate.denominator) / rate.numerator


def _can_stream_copy(
    segments: Sequence[Segment], clips: Sequence[VideoInfo], width: int, height: int, fps: int
) -> bool:
    # Clips already of the export's size have its ratio, which every framing shows alike.
    first = clips[0]
    return (
        all(segment.trim_in is None and segment.trim_out is None for segment in segments)
        and all(_stream_copy_key(clip) == _stream_copy_key(first) for clip in clips)
        and (first.width, first.height) == (width, height)
        and first.frame_rate == fps
    )


def _concat_list(segments: Sequence[Segment]) -> str:
    # Inside single quotes the concat demuxer knows no escapes: a quote closes, escapes, reopens.
    lines = ["ffconcat version 1.0"]
    for segment in segments:
        quoted = str(Path(segment.path).resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def _ffmpeg() -> list[str]:
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y"),
        *("-progress", "pipe:1", "-stats_period", str(_PROGRESS_INTERVAL)),
    ]


def _copy_command(concat_list: Path, output: Path) -> list[str]:
    return [
        *_ffmpeg(),
        *("-f", "concat", "-safe", "0", "-i", str(concat_list)),
        *("-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"),
        *("-movflags", "+faststart", "-f", "mp4", str(output)),
    ]


def _reencode_command(
    segments: Sequence[Segment],
    clips: Sequence[VideoInfo],
    spans: Sequence[tuple[Decimal, Decimal]],
    output: Path,
    width: int,
    height: int,
    fps: int,
) -> list[str]:
    inputs: list[str] = []
    graph: list[str] = []
    joined: list[str] = []
    for index, (segment, clip, span) in enumerate(zip(segments, clips, spans, strict=True)):
        inputs += ["-i", str(segment.path)]
        video, audio = _segment_filters(index, segment, clip, span, width, height, fps)
        graph += [f"{video}[v{index}]", f"{audio}[a{index}]"]
        joined.append(f"[v{index}][a{index}]")
    graph.append(f"{''.join(joined)}concat=n={len(segments)}:v=1:a=1[v][a]")
    return [
        *_ffmpeg(),
        *inputs,
        *("-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]"),
        *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "192k", "-ar", str(_AUDIO_RATE), "-ac", "2"),
        *("-movflags", "+faststart", "-f", "mp4", str(output)),
    ]


def _segment_filters(
    index: int,
    segment: Segment,
    clip: VideoInfo,
    span: tuple[Decimal, Decimal],
    width: int,
    height: int,
    fps: int,
) -> tuple[str, str]:
    """Input `index`'s picture and sound (unlabelled chains), cut to the span and normalised."""
    start, end = span
    length = _seconds(end - start)
    video_cut, audio_cut = _trim_filters(segment, clip, start, end)
    framed = framing_filters(index, segment.framing, (clip.width, clip.height), width, height)
    video = f"[{index}:v:0]{video_cut}{framed},setsar=1,fps={fps},format=yuv420p"
    source = (
        f"[{index}:a:0]{audio_cut}"
        if clip.audio is not None
        else f"anullsrc=sample_rate={_AUDIO_RATE}:channel_layout=stereo,"
    )
    # Audio cut or padded to the picture's length exactly, so that each join stays in sync.
    audio = (
        f"{source}aresample={_AUDIO_RATE},"
        f"aformat=sample_fmts=fltp:sample_rates={_AUDIO_RATE}:channel_layouts=stereo,"
        f"apad=whole_dur={length},atrim=end={length},asetpts=PTS-STARTPTS"
    )
    return video, audio


def _trim_filters(
    segment: Segment, clip: VideoInfo, start: Decimal, end: Decimal
) -> tuple[str, str]:
    """The filters that cut a trimmed clip's picture and sound to start..end ("" for none).

    Cut in the graph, not with -ss/-to on the input, which keep every frame a trim touches.
    The picture is cut half a frame before each boundary, which keeps exactly the frames from
    start to end whatever the rounding of the times written here."""
    cuts = {
        name: seconds
        for name, seconds, given in [
            ("start", start, segment.trim_in),
            ("end", end, segment.trim_out),
        ]
        if given is not None
    }
    if not cuts:
        return "", ""
    rate = clip.frame_rate
    half_frame = Decimal(rate.denominator) / (2 * rate.numerator) if rate else Decimal(0)
    frames = ":".join(f"{k}={_seconds(max(Decimal(0), v - half_frame))}" for k, v in cuts.items())
    samples = ":".join(f"{k}={_seconds(v)}" for k, v in cuts.items())
    return f"trim={frames},setpts=PTS-STARTPTS,", f"atrim={samples},asetpts=PTS-STARTPTS,"


def _run(
    command: list[str],
    *,
    expected: Decimal,
    on_progress: Callable[[int], None] | None,
    timeout: float,
) -> str:
    """Run ffmpeg, turning its `-progress` lines into percentages; kill it at the deadline.
    Returns what ffmpeg wrote to stderr (its measurements, when the log level lets it)."""
    # stderr goes to a file: a pipe nobody reads while we read stdout could fill and block ffmpeg.
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        timed_out = threading.Event()

        def kill_at_deadline() -> None:
            timed_out.set()
            process.kill()

        deadline = threading.Timer(timeout, kill_at_deadline)
        deadline.daemon = True
        deadline.start()
        try:
            assert process.stdout is not None
            _follow_progress(process.stdout, expected, on_progress)
            process.wait()
        finally:
            deadline.cancel()
            process.kill()
            process.wait()
        stderr.seek(0)
        log = stderr.read().decode(errors="replace")
        if timed_out.is_set():
            raise ExportError(f"The export took longer than {timeout:g} s and was stopped.")
        if process.returncode != 0:
            lines = log.strip().splitlines()
            # A log at level+info tags each line: the error is the last line tagged so.
            detail = [line for line in lines if "[error]" in line or "[fatal]" in line] or lines
            reason = detail[-1] if detail else f"exit status {process.returncode}"
            raise ExportError(f"The video could not be put together (ffmpeg: {reason}).")
        return log


def _follow_progress(
    stdout: IO[bytes], expected: Decimal, on_progress: Callable[[int], None] | None
) -> None:
    total_us = float(expected) * 1_000_000
    reported = -1
    last_call = float("-inf")
    if on_progress is not None:
        on_progress(0)
        reported = 0
    for raw in stdout:
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        # out_time_ms is in microseconds too (a long-standing ffmpeg misnomer).
        if on_progress is None or key not in ("out_time_us", "out_time_ms"):
            continue
        try:
            done_us = int(value)
        except ValueError:  # "N/A" before the first frame is out
            continue
        # 100 waits for the output's check: a full bar must mean a finished file.
        percent = max(0, min(99, int(done_us * 100 / total_us)))
        now = time.monotonic()
        if percent > reported and now - last_call >= _PROGRESS_INTERVAL:
            on_progress(percent)
            reported, last_call = percent, now


def _check_output(
    path: Path, expected: Decimal, slack: Decimal, width: int, height: int
) -> VideoInfo:
    try:
        result = probe_video(path)
    except Unplayable as exc:
        raise ExportError("The exported file does not play; nothing was saved.") from exc
    if abs(result.duration - expected) > slack:
        raise ExportError(
            f"The exported video lasts {_seconds(result.duration)} s instead of "
            f"{_seconds(expected)} s; nothing was saved."
        )
    if (result.width, result.height) != (width, height):
        raise ExportError(
            f"The exported video is {result.width}x{result.height} instead of "
            f"{width}x{height}; nothing was saved."
        )
    return result


def _seconds(value: Decimal) -> str:
    """4 -> "4.0", 1.250 -> "1.25": plain notation for people and for ffmpeg's options."""
    text = format(value.quantize(_MILLISECOND), "f").rstrip("0")
    return text + "0" if text.endswith(".") else text
