"""Export file names with a placement: `<project>_<ad>_<placement>_<length>s_v<N>.mp4`."""

import pytest

from studio.stitch import export_file_name


def test_a_placement_stands_where_the_ratio_would():
    name = export_file_name(
        project="Summer Launch",
        playlist="Hero",
        aspect_ratio="9:16",
        length_seconds=15,
        version=2,
        placement="vertical-9x16",
    )
    assert name == "summer-launch_hero_vertical-9x16_15s_v2.mp4"


def test_the_variants_of_one_ad_sort_together():
    names = sorted(
        export_file_name(
            project="Summer",
            playlist="Hero",
            aspect_ratio=ratio,
            length_seconds=length,
            version=1,
            placement=placement,
        )
        for ratio, placement, length in [
            ("9:16", "vertical-9x16", 6),
            ("1:1", "feed-1x1", 15),
            ("16:9", "youtube-16x9", 30),
        ]
    )
    assert all(name.startswith("summer_hero_") for name in names)


def test_a_long_name_keeps_the_placement_tail():
    name = export_file_name(
        project="P" * 200,
        playlist="Q" * 200,
        aspect_ratio="4:5",
        length_seconds=6,
        version=12,
        placement="feed-4x5",
        max_length=80,
    )
    assert len(name) == 80 and name.endswith("_feed-4x5_6s_v12.mp4")


@pytest.mark.parametrize("placement", ["Vertical 9:16", "feed_1x1", "-x", ""])
def test_a_placement_that_is_not_a_slug_is_refused(placement):
    with pytest.raises(ValueError, match="slug"):
        export_file_name(
            project="a",
            playlist="b",
            aspect_ratio="16:9",
            length_seconds=6,
            version=1,
            placement=placement,
        )
