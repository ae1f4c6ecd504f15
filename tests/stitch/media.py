"""What the engine's tests share: small clips made by ffmpeg's lavfi sources, and measurements
of a result as a viewer would notice them (PyAV for frames and samples, ebur128 for loudness)."""

import math
import re
import subprocess
from array import array
from pathlib import Path

import av
import imageio_ffmpeg


def ffmpeg(*args: str) -> None:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*command, *args], check=True, timeout=60)


def clip(
    dest: Path,
    colour: str,
    seconds: float,
    *,
    size: tuple[int, int],
    tone: int | None = None,
    drawn: str = "",
    fps: int = 24,
) -> Path:
    """A clip of one colour (with `drawn`, lavfi filters such as drawbox, on it) and a -20 dB
    sine of `tone` Hz, or no sound at all."""
    width, height = size
    video = f"color=c={colour}:s={width}x{height}:r={fps}:d={seconds}"
    if drawn:
        video += f",{drawn}"
    sound: list[str] = []
    if tone is not None:
        sine = f"sine=frequency={tone}:sample_rate=48000:duration={seconds}"
        sound = ["-f", "lavfi", "-i", sine, "-af", "volume=-20dB", "-c:a", "aac", "-ac", "2"]
    ffmpeg(
        *("-f", "lavfi", "-i", video, *sound, "-c:v", "libx264", "-preset", "ultrafast"),
        *("-pix_fmt", "yuv420p", "-shortest", str(dest)),
    )
    return dest


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP), measured here, not by the engine."""
    run = subprocess.run(
        [
            *(imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path)),
            *("-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    summary = run.stderr[run.stderr.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    assert integrated and peak, summary
    return float(integrated[1]), float(peak[1])


def samples(path: Path) -> tuple[list[float], int]:
    """The first channel's samples and their rate."""
    out = array("f")
    rate = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.format.name == "fltp"
            rate = frame.sample_rate
            out.extend(array("f", bytes(frame.planes[0])[: frame.samples * 4]))
    return out.tolist(), rate


def audio_levels(path: Path, window: float) -> list[float]:
    """The mean absolute sample of each `window` seconds of the first channel."""
    sound, rate = samples(path)
    step = round(window * rate)
    return [
        sum(abs(s) for s in sound[start : start + step]) / len(sound[start : start + step])
        for start in range(0, len(sound), step)
    ]


def tone_level(path: Path, frequency: float, start: float, end: float) -> float:
    """The amplitude of one frequency from start to end seconds (the Goertzel algorithm): how
    loud the music is, heard apart from a take's tone at another pitch."""
    sound, rate = samples(path)
    part = sound[round(start * rate) : round(end * rate)]
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    before = earlier = 0.0
    for sample in part:
        before, earlier = sample + coefficient * before - earlier, before
    power = before**2 + earlier**2 - coefficient * before * earlier
    return 2 * math.sqrt(max(power, 0.0)) / len(part)


def rgb_at(path: Path, at: float, x: int, y: int) -> tuple[int, int, int]:
    """The colour of one pixel of the frame shown at `at` seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frame_length = 1 / float(stream.average_rate or 24)
        for frame in container.decode(stream):
            assert frame.time is not None
            if frame.time >= at - frame_length / 2:
                plane = frame.reformat(format="rgb24").planes[0]
                offset = y * plane.line_size + 3 * x
                red, green, blue = bytes(plane)[offset : offset + 3]
                return red, green, blue
    raise AssertionError(f"no frame at {at} s")
