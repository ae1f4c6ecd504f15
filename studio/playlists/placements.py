"""Where a deliverable runs: the placements offered for deliverables, their names on the page
and in file names, and the lengths a deliverable is cut to."""

from .models import PLATFORM_RATIOS, Platform

# The presets a deliverable is made for, in the order the page offers them.
PLACEMENTS = (Platform.YOUTUBE, Platform.VERTICAL, Platform.FEED_SQUARE, Platform.FEED_PORTRAIT)
PLACEMENT_LABELS: dict[str, str] = {
    Platform.YOUTUBE: "YouTube 16:9",
    Platform.VERTICAL: "Reels 9:16",
    Platform.FEED_SQUARE: "Feed 1:1",
    Platform.FEED_PORTRAIT: "Feed 4:5",
}
# In file names (`<project>_<ad>_<placement>_<length>s_v<N>.mp4`): the variants of one ad
# sort together, and a delivery sheet can read the placement back.
PLACEMENT_SLUGS: dict[str, str] = {
    Platform.YOUTUBE: "youtube-16x9",
    Platform.VERTICAL: "vertical-9x16",
    Platform.FEED_SQUARE: "feed-1x1",
    Platform.FEED_PORTRAIT: "feed-4x5",
}
# The shorter cuts proposed from the full one: a 15 s spot and a 6 s bumper. None is the full cut.
SHORT_LENGTHS = (15, 6)
LENGTHS: tuple[int | None, ...] = (None, *SHORT_LENGTHS)

assert set(PLACEMENTS) == set(PLATFORM_RATIOS), "every preset is a placement"


def placement_slug(platform: str, aspect_ratio: str) -> str:
    """A preset's slug; a custom playlist's ratio (16x9)."""
    return PLACEMENT_SLUGS.get(platform) or aspect_ratio.replace(":", "x")


def length_label(length: int | None) -> str:
    return "full cut" if length is None else f"{length} s"
