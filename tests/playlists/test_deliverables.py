"""Deliverables (studio/playlists/deliverables.py): one ad made into placements and lengths,
each a playlist of its own; the item framing and keep marks they are made from."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from studio.activity.models import Activity
from studio.playlists import services
from studio.playlists.deliverables import deliverable_name, deliverables_make
from studio.playlists.models import Playlist
from tests.factories import make_playlist, make_shot, make_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def ad(studio) -> Playlist:
    """A 20 s ad (five 4 s takes, a crossfade-free cut) with a 2 s end card and a caption."""
    shots = [studio.shot] + [
        make_shot(studio.storyboard, n, video_model=studio.veo) for n in (2, 3, 4, 5)
    ]
    ad = make_playlist(studio.project, name="Hero", target_seconds=30)
    takes = [make_take(shot) for shot in shots]
    items = services.playlist_add_takes(user=studio.bob, playlist=ad, takes=takes)
    services.playlist_item_finish(
        user=studio.bob, item=items[0], caption="Cold", transition="cut", transition_seconds=None
    )
    services.playlist_finish(
        user=studio.bob,
        playlist=ad,
        end_card=True,
        end_card_seconds=D(2),
        cta_text="Order",
        cta_url="",
        loudness_target=-16,
    )
    ad.refresh_from_db()
    return ad


def test_owner_makes_one_playlist_per_placement_and_length(studio, ad):
    made = deliverables_make(
        user=studio.alice, playlist=ad, platforms=["vertical", "feed-square"], lengths=[None, 15]
    )
    names = [p.name for p in made.playlists]
    assert names == [
        "Hero · Reels 9:16 · full cut",
        "Hero · Reels 9:16 · 15 s",
        "Hero · Feed 1:1 · full cut",
        "Hero · Feed 1:1 · 15 s",
    ]
    assert made.skipped == []
    vertical_full, vertical_15, square_full, _ = made.playlists
    assert {p.source_id for p in made.playlists} == {ad.pk}
    assert (vertical_full.platform, vertical_full.aspect_ratio) == ("vertical", "9:16")
    assert square_full.aspect_ratio == "1:1"
    assert (vertical_full.target_seconds, vertical_15.target_seconds) == (22, 15)
    # The finishing comes along.
    assert vertical_15.end_card and vertical_15.cta_text == "Order"
    assert vertical_15.loudness_target == -16
    # The full cut: every item; the 15 s cut: hook, items 2 and 3 (12 s + 2 s end card).
    assert vertical_full.items.count() == 5
    short = list(vertical_15.items.order_by("position"))
    assert [i.take.shot.position for i in short] == [1, 2, 3]
    assert short[0].caption == "Cold"
    assert Activity.objects.filter(subject__startswith="deliverable Hero").count() == 4


def test_the_bumper_trims_the_hook_and_keep_marks_are_respected(studio, ad):
    items = list(ad.items.order_by("position"))
    services.playlist_item_keep(user=studio.bob, item=items[3], keep=True)
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["youtube"], lengths=[15])
    kept = [i.take.shot.position for i in made.playlists[0].items.order_by("position")]
    assert kept == [1, 2, 4]  # item 4 is kept, items 3 and 5 dropped
    # 6 s: hook, item 4 (kept) and the end card are 10 s. The unmarked hook gives first (down
    # to 1 s), and the kept item only the last second it must.
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["youtube"], lengths=[6])
    bumper = list(made.playlists[0].items.order_by("position"))
    assert [i.take.shot.position for i in bumper] == [1, 4]
    assert [i.trim_out for i in bumper] == [D(1), D(3)]
    assert all(i.keep == (i.take.shot.position == 4) for i in bumper)


def test_framing_and_crop_centre_are_copied(studio, ad):
    first = ad.items.order_by("position").first()
    services.playlist_item_frame(
        user=studio.bob, item=first, framing="crop", crop_x=D("0.25"), crop_y=D("0.6")
    )
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["feed-portrait"], lengths=[6])
    hook = made.playlists[0].items.order_by("position").first()
    assert (hook.framing, hook.crop_x, hook.crop_y) == ("crop", D("0.25"), D("0.6"))


def test_a_take_of_the_ads_own_ratio_is_framed_for_the_deliverables(studio):
    """A vertical ad's vertical takes were never framed (the default crop did not matter
    there): in a landscape or square deliverable they are fitted on a blurred copy, not
    cropped to a strip; in a 4:5 one (still taller than wide), cropped."""
    vertical = make_playlist(studio.project, name="Tall", platform="vertical", aspect_ratio="9:16")
    takes = [make_take(studio.shot, ratio="9:16"), make_take(studio.shot, ratio="9:16")]
    services.playlist_add_takes(user=studio.bob, playlist=vertical, takes=takes)
    assert [i.framing for i in vertical.items.all()] == ["crop", "crop"]
    made = deliverables_make(
        user=studio.bob,
        playlist=vertical,
        platforms=["youtube", "feed-square", "feed-portrait"],
        lengths=[None],
    )
    landscape, square, portrait = made.playlists
    assert [i.framing for i in landscape.items.all()] == ["blur", "blur"]
    assert [i.framing for i in square.items.all()] == ["blur", "blur"]
    assert [i.framing for i in portrait.items.all()] == ["crop", "crop"]


def test_the_framing_chosen_for_a_take_of_another_ratio_is_kept(studio):
    """A take whose ratio is not the ad's was framed by the user: that choice comes along."""
    vertical = make_playlist(studio.project, name="Tall", platform="vertical", aspect_ratio="9:16")
    takes = [make_take(studio.shot, ratio="9:16"), make_take(studio.shot, ratio="1:1")]
    own, square_take = services.playlist_add_takes(user=studio.bob, playlist=vertical, takes=takes)
    services.playlist_item_frame(
        user=studio.bob, item=square_take, framing="fit", crop_x=D("0.3"), crop_y=D("0.5")
    )
    services.playlist_item_frame(
        user=studio.bob, item=own, framing="fit", crop_x=D("0.5"), crop_y=D("0.5")
    )
    made = deliverables_make(
        user=studio.bob, playlist=vertical, platforms=["youtube"], lengths=[None]
    )
    first, second = made.playlists[0].items.order_by("position")
    assert first.framing == "blur"  # the ad's own ratio: framed for the deliverable's
    assert (second.framing, second.crop_x) == ("fit", D("0.3"))


def test_a_length_the_full_cut_does_not_exceed_is_skipped_with_a_message(studio, ad):
    made = deliverables_make(
        user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None, 15, 6]
    )
    assert len(made.playlists) == 3  # 22 s: both shorter cuts are made
    short_ad = make_playlist(studio.project, name="Teaser")
    services.playlist_add_takes(user=studio.bob, playlist=short_ad, takes=[make_take(studio.shot)])
    made = deliverables_make(
        user=studio.bob, playlist=short_ad, platforms=["vertical"], lengths=[None, 6]
    )
    assert [p.name for p in made.playlists] == ["Teaser · Reels 9:16 · full cut"]
    assert made.skipped == ["No 6 s cut: the full cut is already 4.0 s."]


def test_making_the_same_deliverable_again_skips_it_and_refuses_when_nothing_is_new(studio, ad):
    deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[15])
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[15, 6])
    assert [p.name for p in made.playlists] == ["Hero · Reels 9:16 · 6 s"]
    assert made.skipped == ["Already made: Hero · Reels 9:16 · 15 s."]
    with pytest.raises(ValidationError, match="Already made"):
        deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[15])
    assert ad.deliverables.count() == 2


def test_after_renaming_the_ad_the_same_deliverables_are_already_made(studio, ad):
    """A deliverable is its ad, placement and length, not its name (which holds the ad's)."""
    deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None, 15])
    Playlist.objects.filter(pk=ad.pk).update(name="Summer hero")
    ad.refresh_from_db()
    made = deliverables_make(
        user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None, 15, 6]
    )
    assert [p.name for p in made.playlists] == ["Summer hero · Reels 9:16 · 6 s"]
    assert made.skipped == [
        "Already made: Hero · Reels 9:16 · full cut.",
        "Already made: Hero · Reels 9:16 · 15 s.",
    ]
    with pytest.raises(ValidationError, match="Already made"):
        deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None])
    assert ad.deliverables.count() == 3
    # Another placement of the same length is another deliverable.
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["youtube"], lengths=[15])
    assert [p.name for p in made.playlists] == ["Summer hero · YouTube 16:9 · 15 s"]


def test_a_cut_that_cannot_be_made_makes_nothing(studio, ad):
    for item in ad.items.all():
        services.playlist_item_keep(user=studio.bob, item=item, keep=True)
    before = Playlist.objects.count()
    with pytest.raises(ValidationError, match="A 6 s cut cannot be made"):
        deliverables_make(
            user=studio.bob, playlist=ad, platforms=["youtube", "vertical"], lengths=[None, 6]
        )
    assert Playlist.objects.count() == before


@pytest.mark.parametrize(
    ("platforms", "lengths", "message"),
    [
        (["cinema"], [None], "Unknown placement"),
        (["vertical"], [30], "full cut, 15 s or 6 s"),
        ([], [None], "at least one placement"),
    ],
)
def test_bad_choices_are_refused(studio, ad, platforms, lengths, message):
    with pytest.raises(ValidationError, match=message):
        deliverables_make(user=studio.bob, playlist=ad, platforms=platforms, lengths=lengths)
    assert not ad.deliverables.exists()


def test_a_deliverable_makes_no_deliverables(studio, ad):
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[None])
    with pytest.raises(ValidationError, match="from the ad"):
        deliverables_make(
            user=studio.bob, playlist=made.playlists[0], platforms=["youtube"], lengths=[None]
        )


def test_viewer_and_outsider_cannot_make_deliverables(studio, ad):
    for user in (studio.vera, studio.rita, studio.oscar):
        with pytest.raises(PermissionDenied):
            deliverables_make(user=user, playlist=ad, platforms=["vertical"], lengths=[None])
    assert not ad.deliverables.exists()


def test_the_ads_name_is_cut_short_never_the_placement():
    name = deliverable_name("A" * 200, "feed-portrait", 6)
    assert len(name) == 120 and name.endswith(" · Feed 4:5 · 6 s")


# Item framing and keep marks


def test_a_crop_centre_outside_the_frame_is_refused_with_a_clear_message(studio, ad):
    item = ad.items.first()
    with pytest.raises(ValidationError, match=r"inside the frame: 0 to 1.*not across 1\.5"):
        services.playlist_item_frame(
            user=studio.bob, item=item, framing="crop", crop_x=D("1.5"), crop_y=D("0.5")
        )
    item.refresh_from_db()
    assert (item.crop_x, item.crop_y) == (D("0.5"), D("0.5"))


def test_framing_and_keep_need_the_edit_role(studio, ad):
    item = ad.items.first()
    with pytest.raises(PermissionDenied):
        services.playlist_item_frame(
            user=studio.vera, item=item, framing="blur", crop_x=D("0.5"), crop_y=D("0.5")
        )
    with pytest.raises(PermissionDenied):
        services.playlist_item_keep(user=studio.oscar, item=item, keep=True)
    item.refresh_from_db()
    assert (item.framing, item.keep) == ("crop", False)


def test_a_duplicate_keeps_framing_and_keep_marks(studio, ad):
    first = ad.items.order_by("position").first()
    services.playlist_item_frame(
        user=studio.bob, item=first, framing="blur", crop_x=D("0.2"), crop_y=D("0.8")
    )
    services.playlist_item_keep(user=studio.bob, item=first, keep=True)
    copy = services.playlist_duplicate(user=studio.bob, playlist=ad)
    copied = copy.items.order_by("position").first()
    assert (copied.framing, copied.crop_x, copied.crop_y, copied.keep) == (
        "blur",
        D("0.2"),
        D("0.8"),
        True,
    )
    assert copy.source_id is None  # a variant to edit is an ad of its own, not a deliverable
