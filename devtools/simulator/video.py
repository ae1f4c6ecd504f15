"""Real MP4 files for simulated jobs: the prompt on a coloured card, a sine tone, exact duration.

H.264 + AAC in yuv420p with the moov atom up front (+faststart), like the provider's files, so the
studio's download, probe and playback paths all meet a genuine video.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import textwrap
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import imageio_ffmpeg

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FRAME_RATE = 24
_BACKGROUNDS = ("0x1d3557", "0x2a9d8f", "0x6d597a", "0x264653", "0x9b2226", "0x3a5a40")
_MAX_LINES = 5
_RENDER_TIMEOUT = 300


class VideoRenderer:
    """Renders in background threads and caches files by everything that changes the picture."""

    def __init__(self, media_dir: Path, *, workers: int = 2) -> None:
        self.media_dir = media_dir
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="simulator-render")
        # Re-entrant: a done-callback runs at once, in this thread, when the future is already done.
        self._lock = threading.RLock()
        self._in_flight: dict[Path, Future[Path]] = {}
        self._processes: set[subprocess.Popen[bytes]] = set()

    def render(self, *, prompt: str, duration: int, width: int, height: int) -> Future[Path]:
        dest = self.media_dir / f"render-{_cache_key(prompt, duration, width, height)}.mp4"
        with self._lock:
            if dest in self._in_flight:
                return self._in_flight[dest]
            if dest.exists():
                done: Future[Path] = Future()
                done.set_result(dest)
                return done
            future = self._pool.submit(self._render, prompt, duration, width, height, dest)
            self._in_flight[dest] = future
            # Once finished the file speaks for itself, and a failed render may be tried again.
            future.add_done_callback(lambda _: self._forget(dest))
            return future

    def _forget(self, dest: Path) -> None:
        with self._lock:
            self._in_flight.pop(dest, None)

    def close(self) -> None:
        """Stop rendering: queued renders are dropped and running ffmpeg processes killed."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for process in self._processes:
                process.kill()

    def _render(self, prompt: str, duration: int, width: int, height: int, dest: Path) -> Path:
        temp = dest.with_name(f".{dest.name}.{threading.get_ident()}.part")
        command = ffmpeg_command(prompt, duration, width, height, temp)
        try:
            self._run(command)
            os.replace(temp, dest)
        finally:
            temp.unlink(missing_ok=True)
        return dest

    def _run(self, command: list[str]) -> None:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with self._lock:
            self._processes.add(process)
        try:
            _, stderr = process.communicate(timeout=_RENDER_TIMEOUT)
        finally:
            process.kill()
            with self._lock:
                self._processes.discard(process)
        if process.returncode != 0:
            raise RuntimeError(f"ffmpeg failed: {stderr.decode(errors='replace')[-500:]}")


def ffmpeg_command(prompt: str, duration: int, width: int, height: int, dest: Path) -> list[str]:
    # A colour per prompt, so different takes look different in the studio's lists.
    colour = _BACKGROUNDS[hashlib.sha256(prompt.encode()).digest()[0] % len(_BACKGROUNDS)]
    picture = f"color=c={colour}:s={width}x{height}:r={FRAME_RATE}:d={duration}"
    tone = f"sine=frequency=440:sample_rate=48000:duration={duration}"
    text_filters = _text_filters(prompt, duration, width, height) if FONT.is_file() else []
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
        *("-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", tone),
        *(["-vf", ",".join(text_filters)] if text_filters else []),
        *("-map", "0:v", "-map", "1:a"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", str(FRAME_RATE)),
        *("-c:a", "aac", "-b:a", "128k"),
        *("-t", str(duration), "-movflags", "+faststart", "-f", "mp4", str(dest)),
    ]


def _text_filters(prompt: str, duration: int, width: int, height: int) -> list[str]:
    font_size = max(12, min(width, height) // 16)
    caption = wrap_prompt(prompt, chars_per_line=max(10, int(width * 0.85 / (font_size * 0.6))))
    footer = f"AI gateway simulator · {duration} s · {width}x{height} · %{{pts:hms}}"
    font = f"fontfile={escape_filter_value(str(FONT))}:fontcolor=white"
    return [
        f"drawtext={font}:fontsize={font_size}:text={escape_filter_value(caption)}"
        ":expansion=none:text_align=C:x=(w-text_w)/2:y=(h-text_h)/2",
        # Our own text, expanded on purpose: the running clock shows that the video plays.
        f"drawtext={font}:fontsize={max(10, font_size // 2)}:text={escape_filter_value(footer)}"
        ":x=(w-text_w)/2:y=h-2*text_h",
    ]


def wrap_prompt(prompt: str, *, chars_per_line: int) -> str:
    """The prompt as at most a few lines, printable characters only, cut with an ellipsis."""
    printable = "".join(char if char.isprintable() else " " for char in prompt)
    lines = textwrap.wrap(printable, chars_per_line) or [""]
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] = lines[-1][: chars_per_line - 1].rstrip() + "…"
    return "\n".join(lines)


def escape_filter_value(value: str) -> str:
    """Escape a value for an ffmpeg filter option inside a -vf filtergraph.

    Two parsers unescape it in turn: the option parser (special: backslash, quote, colon), then,
    before that, the filtergraph parser (backslash, quote, brackets, comma, semicolon).
    """
    for char in "\\':":
        value = value.replace(char, "\\" + char)
    for char in "\\'[],;":
        value = value.replace(char, "\\" + char)
    return value


def _cache_key(prompt: str, duration: int, width: int, height: int) -> str:
    return hashlib.sha256(f"{prompt}\n{duration}\n{width}x{height}".encode()).hexdigest()[:24]
