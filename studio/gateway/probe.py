"""Check that a downloaded file really is a playable video, and read its vital facts."""

from __future__ import annotations

import os

from studio import media_probe
from studio.gateway.media import MediaError
from studio.media_probe import VideoInfo

__all__ = ["NotAVideo", "VideoInfo", "probe_video"]


class NotAVideo(MediaError):
    """The file is not a decodable video (an HTML error page, a truncated file, audio only...)."""


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """The studio's one prober (`studio.media_probe`), failing as the gateway's media errors do."""
    try:
        return media_probe.probe_video(path)
    except media_probe.Unplayable as exc:
        raise NotAVideo(str(exc)) from exc
