"""An export's manifest as it is started: the ad, its placement and music, and each item's
take, trims, caption and framing, so that a delivered file can be audited or rebuilt. The run
adds what it rendered (exports.py: the finishing, the file's facts and its checksum)."""

from decimal import Decimal

from .models import Playlist, PlaylistItem
from .placements import placement_slug


def start_manifest(playlist: Playlist, items: list[PlaylistItem]) -> dict:
    """What is inside, in order: enough to audit or rebuild the ad."""
    return {
        "project": playlist.project.name,
        "playlist": playlist.name,
        "source": playlist.source.name if playlist.source is not None else None,
        "placement": placement_slug(playlist.platform, playlist.aspect_ratio),
        "aspect_ratio": playlist.aspect_ratio,
        "target_seconds": playlist.target_seconds,
        "music": {"name": playlist.music_name, "gain": playlist.music_gain}
        if playlist.music
        else None,
        "items": [
            {
                "position": position,
                "shot": item.take.shot.position,
                "prompt": item.take.prompt,
                "take": item.take.take_number,
                "take_id": str(item.take.uuid),
                "duration": str(item.take_length),
                "trim_in": str(item.trim_in) if item.trim_in is not None else None,
                "trim_out": str(item.trim_out) if item.trim_out is not None else None,
                "length": str(item.length),
                "caption": item.caption,
                "framing": item.framing,
                "crop_x": str(item.crop_x),
                "crop_y": str(item.crop_y),
                "cost": str(item.take.cost),
            }
            for position, item in enumerate(items, start=1)
        ],
        "total_length": str(sum((item.length for item in items), Decimal("0"))),
        "total_cost": str(sum((item.take.cost for item in items), Decimal("0.00"))),
    }
