"""The export's file name: sortable, safe in any file system or URL, and bounded."""

import re
import unicodedata

# The longest file name, in bytes, that common file systems take (ext4, APFS, NTFS).
NAME_MAX = 255


def export_file_name(
    *,
    project: str,
    playlist: str,
    aspect_ratio: str,
    length_seconds: int,
    version: int,
    max_length: int = NAME_MAX,
    placement: str | None = None,
) -> str:
    """`summer-launch_hero-15s_16x9_15s_v3.mp4`: sortable, and safe in any file system or URL.

    With a placement (a slug such as `vertical-9x16`), it stands where the ratio would:
    `<project>_<ad>_<placement>_<length>s_v<N>.mp4`, so an ad's variants sort together.
    At most `max_length` characters (and NAME_MAX bytes; the name is ASCII): long project and
    playlist names are cut, never the tail, whose version keeps the name unique in its playlist.
    """
    ratio = re.fullmatch(r"\s*(\d+)\s*[:x/]\s*(\d+)\s*", aspect_ratio)
    if ratio is None:
        raise ValueError(f"Aspect ratio must look like 16:9, not {aspect_ratio!r}")
    if length_seconds < 0 or version < 1:
        raise ValueError("Length must not be negative and versions start at 1")
    if placement is not None and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", placement):
        raise ValueError(f"A placement is a slug like vertical-9x16, not {placement!r}")
    where = placement or f"{ratio[1]}x{ratio[2]}"
    tail = f"_{where}_{length_seconds}s_v{version}.mp4"
    room = min(max_length, NAME_MAX) - len(tail) - len("_")
    if room < 2:
        raise ValueError(f"{max_length} characters leave no room for a name before {tail!r}")
    project_slug, playlist_slug = _slug(project), _slug(playlist)
    # Each name gets half the room, and what one leaves unused goes to the other.
    project_slug = project_slug[: max(room // 2, room - len(playlist_slug))].rstrip("-")
    playlist_slug = playlist_slug[: room - len(project_slug)].rstrip("-")
    return f"{project_slug}_{playlist_slug}{tail}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "untitled"
