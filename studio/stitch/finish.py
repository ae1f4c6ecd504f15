"""Render a playlist finished: captions, crossfades, an end card, music, loudness (no Django).

Three ffmpeg runs, all checked before `dest` is touched:
1. the whole picture (captions burned in with drawtext, crossfades with xfade, the end card drawn
   on a colour source) encoded once, the sound kept as PCM, and its loudness measured by ebur128;
2. the sound normalised with those measurements (one gain, so the ad's dynamics are kept unless
   the true-peak ceiling forbids it: loudness.py) and encoded, the picture copied;
3. the file itself measured by ebur128, which is what the result (and the manifest) reports.
The takes' sound is one labelled chain before the meter, where a music bed is mixed in (music.py).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from studio.media_probe import VideoInfo
from studio.stitch.export import (
    _AUDIO_RATE,
    FRAMES_OF_SLACK_PER_ITEM,
    ExportError,
    Segment,
    _check_output,
    _ffmpeg,
    _run,
    _seconds,
    _segment_filters,
    checked_inputs,
)
from studio.stitch.finishing import (
    SAFE_BOTTOM,
    Finishing,
    Plan,
    PlannedEndCard,
    TextBlock,
    logo_kind,
    plan_finishing,
)
from studio.stitch.loudness import (
    METER,
    LoudnessMeasurement,
    measure_loudness,
    normalise,
    read_meter,
)
from studio.stitch.music import mix_music, music_input

_CAPTION_BOX_OPACITY = 0.6
# Drawing a logo takes milliseconds; this bounds a pathological SVG.
_LOGO_SECONDS = 30
# Share of the bar for each run: the picture's encode is most of the work.
_STAGES = (85, 12, 3)


@dataclass(frozen=True)
class FinishedExport:
    path: Path
    duration: Decimal
    width: int
    height: int
    expected_duration: Decimal
    loudness: LoudnessMeasurement


def finish(
    segments: Sequence[Segment],
    finishing: Finishing,
    dest: Path,
    *,
    width: int,
    height: int,
    fps: int = 24,
    on_progress: Callable[[int], None] | None = None,
    timeout: float = 900,
) -> FinishedExport:
    """Write the segments with their finishing to `dest` as an MP4 (always re-encoded).

    Raises ExportError, leaving nothing at `dest` nor beside it, for a bad spec or item, an
    ffmpeg failure, a timeout or a result of the wrong duration.
    """
    clips, spans = checked_inputs(segments, width=width, height=height, fps=fps)
    lengths = [end - start for start, end in spans]
    plan = plan_finishing(finishing, lengths, width=width, height=height, fps=fps)
    expected = plan.duration
    timer = _Deadline(timeout)

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stem = f".export-{uuid.uuid4().hex}"
    picture, temp = dest.with_name(f"{stem}.mkv"), dest.with_name(f"{stem}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="finish-") as work:
            inputs, graph = _graph(segments, clips, spans, plan, Path(work), width, height, fps)
            log = _run(
                [
                    *_ffmpeg(),
                    *("-loglevel", "level+info"),
                    *inputs,
                    *("-filter_complex", ";".join(graph)),
                    *("-map", "[vout]", "-map", "[aout]"),
                    *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20"),
                    *("-pix_fmt", "yuv420p", "-c:a", "pcm_f32le", "-f", "matroska", str(picture)),
                ],
                expected=expected,
                on_progress=_stage(on_progress, 0),
                timeout=timer.left(),
            )
        _run(
            [
                *_ffmpeg(),
                *("-i", str(picture), "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy"),
                *("-af", normalise(plan.loudness, read_meter(log))),
                *("-c:a", "aac", "-b:a", "192k", "-ar", str(_AUDIO_RATE), "-ac", "2"),
                *("-movflags", "+faststart", "-f", "mp4", str(temp)),
            ],
            expected=expected,
            on_progress=_stage(on_progress, 1),
            timeout=timer.left(),
        )
        slack = Decimal(FRAMES_OF_SLACK_PER_ITEM * (len(segments) + 1)) / fps
        result = _check_output(temp, expected, slack, width, height)
        loudness = measure_loudness(temp, timeout=timer.left(), on_progress=_stage(on_progress, 2))
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)
        picture.unlink(missing_ok=True)
    if on_progress is not None:
        on_progress(100)
    return FinishedExport(
        path=dest,
        duration=result.duration,
        width=result.width,
        height=result.height,
        expected_duration=expected,
        loudness=loudness,
    )


def _graph(
    segments: Sequence[Segment],
    clips: Sequence[VideoInfo],
    spans: Sequence[tuple[Decimal, Decimal]],
    plan: Plan,
    work: Path,
    width: int,
    height: int,
    fps: int,
) -> tuple[list[str], list[str]]:
    inputs: list[str] = []
    graph: list[str] = []
    for index, (segment, clip, span) in enumerate(zip(segments, clips, spans, strict=True)):
        inputs += ["-i", str(segment.path)]
        video, audio = _segment_filters(index, segment, clip, span, width, height, fps)
        caption, style = plan.captions[index], plan.caption_style
        if caption is not None and style is not None:
            video += "," + _drawtext(
                caption.block,
                work / f"caption-{index}.txt",
                font=style.font,
                colour=style.text_colour,
                box=style.box_colour,
                x="(w-text_w)/2",
                y=f"h*{SAFE_BOTTOM}-text_h-{_border(caption.block)}",
                enable=(caption.start, caption.end),
            )
        graph += [f"{video}[v{index}]", f"{audio}[a{index}]"]
    lengths = list(plan.lengths)
    if plan.end_card is not None:
        inputs += _end_card(plan.end_card, len(segments), inputs, graph, work, width, height, fps)
        lengths.append(plan.end_card.length)
    video, audio, so_far = "v0", "a0", lengths[0]
    for index in range(1, len(lengths)):
        fade = plan.crossfades[index - 1]
        if fade:
            offset = _seconds(so_far - fade)
            graph.append(
                f"[{video}][v{index}]xfade=transition=fade:duration={_seconds(fade)}"
                f":offset={offset},settb=1/{fps}[jv{index}]"
            )
            graph.append(f"[{audio}][a{index}]acrossfade=d={_seconds(fade)}[ja{index}]")
        else:
            graph.append(f"[{video}][v{index}]concat=n=2:v=1:a=0,settb=1/{fps}[jv{index}]")
            graph.append(f"[{audio}][a{index}]concat=n=2:v=0:a=1[ja{index}]")
        video, audio, so_far = f"jv{index}", f"ja{index}", so_far + lengths[index] - fade
    graph.append(f"[{video}]null[vout]")
    # [programme] is the ad's own sound: the takes' and the end card's silence. A music bed is
    # keyed by it (ducked while the takes speak) and mixed with it before the measurement.
    graph.append(f"[{audio}]anull[programme]")
    sound = "programme"
    if plan.music is not None:
        music_index = len(segments) + _logo_inputs(plan)
        inputs += music_input(plan.music)
        graph += mix_music(plan.music, music_index, plan.duration, sound, "mixed")
        sound = "mixed"
    graph.append(f"[{sound}]asplit=2[aout][measure]")
    graph.append(f"[measure]{METER},anullsink")
    return inputs, graph


def _logo_inputs(plan: Plan) -> int:
    """How many inputs the end card adds after the segments' (its logo's)."""
    return int(plan.end_card is not None and plan.end_card.card.logo is not None)


def _rasterise(svg: Path, dest: Path, width: int, height: int) -> Path:
    """The SVG drawn by librsvg at the logo box's size (its ratio kept), so it is sharp rather
    than scaled up from its own size. In a run of its own: an SVG librsvg cannot draw fails
    here at once, where the looped input of the picture's run would retry it until the
    deadline."""
    try:
        _run(
            [
                *_ffmpeg(),
                *("-f", "image2", "-c:v", "librsvg", "-width", str(width), "-height", str(height)),
                *("-keep_ar", "1", "-i", str(svg), "-frames:v", "1", "-y", str(dest)),
            ],
            expected=Decimal(1),
            on_progress=None,
            timeout=_LOGO_SECONDS,
        )
    except ExportError as error:
        raise ExportError(f"The end card's logo {svg.name} could not be drawn: {error}") from error
    return dest


def _end_card(
    planned: PlannedEndCard,
    index: int,
    inputs: list[str],
    graph: list[str],
    work: Path,
    width: int,
    height: int,
    fps: int,
) -> list[str]:
    """Add the end card's chains to `graph` as [v<index>] and [a<index>]; return its inputs."""
    card, length = planned.card, _seconds(planned.length)
    video = f"color=c=0x{card.background[1:]}:s={width}x{height}:r={fps}:d={length},format=yuv420p"
    extra: list[str] = []
    action_top = "h*0.4"
    if card.logo is not None:
        logo_input = len(inputs) // 2
        box_w, box_h = _even(width * 0.5), _even(height * 0.3)
        logo = Path(card.logo)
        if logo_kind(logo) == "svg":
            logo = _rasterise(logo, work / "logo.png", box_w, box_h)
        extra = ["-loop", "1", "-framerate", str(fps), "-t", length, "-i", str(logo)]
        graph.append(
            f"[{logo_input}:v:0]scale={box_w}:{box_h}:force_original_aspect_ratio=decrease,"
            f"format=rgba[logo]"
        )
        graph.append(f"{video}[card]")
        video = "[card][logo]overlay=x=(W-w)/2:y=H*0.12:eof_action=repeat,format=yuv420p"
        action_top = "h*0.5"
    texts = [
        _drawtext(
            planned.call_to_action,
            work / "action.txt",
            font=card.font,
            colour=card.text_colour,
            box=None,
            x="(w-text_w)/2",
            y=action_top,
        )
    ]
    if planned.url is not None:
        texts.append(
            _drawtext(
                planned.url,
                work / "url.txt",
                font=card.font,
                colour=card.text_colour,
                box=None,
                x="(w-text_w)/2",
                y="h*0.8-text_h",
            )
        )
    graph.append(f"{video},{','.join(texts)},setsar=1,settb=1/{fps}[v{index}]")
    graph.append(
        f"anullsrc=sample_rate={_AUDIO_RATE}:channel_layout=stereo,atrim=end={length},"
        f"aformat=sample_fmts=fltp:sample_rates={_AUDIO_RATE}:channel_layouts=stereo[a{index}]"
    )
    return extra


def _drawtext(
    block: TextBlock,
    text_file: Path,
    *,
    font: Path,
    colour: str,
    box: str | None,
    x: str,
    y: str,
    enable: tuple[Decimal, Decimal] | None = None,
) -> str:
    # The text goes through a file read verbatim (expansion=none): no escaping of what people type.
    text_file.write_text(block.text, encoding="utf-8")
    options = [
        f"fontfile={_escape(str(Path(font).resolve()))}",
        f"textfile={_escape(str(text_file))}",
        "expansion=none",
        "text_align=C",
        f"fontsize={block.size}",
        f"fontcolor=0x{colour[1:]}",
        f"line_spacing={round(block.size * 0.25)}",
        f"x={x}",
        f"y={y}",
    ]
    if box is not None:
        options += [
            "box=1",
            f"boxcolor=0x{box[1:]}@{_CAPTION_BOX_OPACITY}",
            f"boxborderw={_border(block)}",
        ]
    if enable is not None:
        start, end = enable
        options.append(f"enable='gte(t,{_seconds(start)})*lt(t,{_seconds(end)})'")
    return "drawtext=" + ":".join(options)


def _border(block: TextBlock) -> int:
    return max(2, round(block.size * 0.4))


def _escape(value: str) -> str:
    """A value for a filter option inside a filtergraph: escaped for the option parser, then
    for the graph parser (ffmpeg-filters(1), "Notes on filtergraph escaping")."""
    for special in ("\\':", "\\'[],;"):
        value = "".join(f"\\{char}" if char in special else char for char in value)
    return value


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _stage(on_progress: Callable[[int], None] | None, stage: int) -> Callable[[int], None] | None:
    """Map one run's 0-99 onto its share of the whole bar (never backwards)."""
    if on_progress is None:
        return None
    before = sum(_STAGES[:stage])

    def report(percent: int) -> None:
        on_progress(min(99, before + percent * _STAGES[stage] // 100))

    return report


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def left(self) -> float:
        left = self.seconds - (time.monotonic() - self.start)
        if left <= 0:
            raise ExportError(f"The export took longer than {self.seconds:g} s and was stopped.")
        return left
