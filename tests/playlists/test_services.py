from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from threading import Barrier

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import connection

from devtools.simulator.video import VideoRenderer
from studio.playlists import exports, services
from studio.playlists.models import ExportStatus, Playlist
from studio.playlists.summary import playlist_summary
from studio.projects.models import Project, Shot, Storyboard
from studio.review.approved import playlist_add_storyboard
from studio.review.models import ReviewState
from studio.review.services import review_decide
from tests.factories import make_take

pytestmark = pytest.mark.django_db


def order(playlist: Playlist) -> list[int]:
    return [item.take.shot.position for item in playlist.items.select_related("take__shot")]


def approve(studio, *takes):
    for take in takes:
        review_decide(target=take, state=ReviewState.APPROVED, user=studio.rita)


def test_add_takes_one_by_one_and_all_approved_takes(studio, playlist, takes, shots):
    newer = make_take(shots[0], 2)  # a newer approved take of shot 1: the storyboard's pick
    approve(studio, *takes, newer)
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[takes[2]])
    items, skipped = playlist_add_storyboard(
        user=studio.bob, playlist=playlist, storyboard=studio.storyboard
    )
    assert (len(items), skipped) == (3, 0)
    assert order(playlist) == [3, 1, 2, 3]
    assert playlist.items.get(position=2).take.take_number == 2


def test_a_take_of_another_teams_project_is_refused_and_nothing_changes(studio, playlist, takes):
    other = Project.objects.create(team=studio.oscar.teams.get(), name="Rival", budget=10)
    board = Storyboard.objects.create(project=other, title="Theirs")
    shot = Shot.objects.create(
        storyboard=board,
        position=1,
        prompt="x",
        duration=4,
        aspect_ratio="16:9",
        video_model=studio.veo,
    )
    foreign = make_take(shot)
    with pytest.raises(ValidationError, match="another project"):
        services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[takes[0], foreign])
    assert not playlist.items.exists()


def test_reorder_sets_exactly_the_given_order(studio, playlist, takes):
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_reorder(
        user=studio.bob, playlist=playlist, item_uuids=[str(items[i].uuid) for i in (2, 0, 1)]
    )
    assert order(playlist) == [3, 1, 2]


@pytest.mark.parametrize("kind", ["foreign", "missing", "duplicated"])
def test_reorder_with_ids_not_in_the_playlist_is_refused_unchanged(studio, playlist, takes, kind):
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    other = Playlist.objects.create(project=studio.project, name="Other", target_seconds=6)
    stranger = services.playlist_add_takes(user=studio.bob, playlist=other, takes=[takes[0]])[0]
    ids = [str(item.uuid) for item in items]
    bad = {
        "foreign": [ids[0], ids[1], str(stranger.uuid)],
        "missing": ids[:2],
        "duplicated": [ids[0], ids[0], ids[1], ids[2]],
    }[kind]
    with pytest.raises(ValidationError, match="every item of this playlist once"):
        services.playlist_reorder(user=studio.bob, playlist=playlist, item_uuids=bad)
    assert order(playlist) == [1, 2, 3]


ADDS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_each_append_their_takes_after_the_last_item(studio, playlist):
    """An Add reads the playlist's last position and writes its takes after it. Two people
    adding at once must not both read the same last position: the lock on the playlist makes
    the second wait for the first. (SQLite runs one writing transaction at a time anyway: the
    PostgreSQL pass of `make test` is the one that would see the race.)"""
    pairs = [(make_take(studio.shot), make_take(studio.shot)) for _ in range(ADDS)]
    start = Barrier(ADDS)

    def add(pair):
        start.wait()
        try:
            services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=list(pair))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=ADDS) as pool:
        list(pool.map(add, pairs))

    positions = dict(playlist.items.values_list("take_id", "position"))
    assert sorted(positions.values()) == list(range(1, 2 * ADDS + 1))
    # Each Add's two takes side by side, in the order given.
    assert all(positions[second.pk] == positions[first.pk] + 1 for first, second in pairs)


def test_move_up_and_down_is_the_keyboard_way_to_reorder(studio, playlist, takes):
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_move_item(user=studio.bob, item=items[2], offset=-1)
    assert order(playlist) == [1, 3, 2]
    services.playlist_move_item(user=studio.bob, item=items[0], offset=-1)  # already first
    assert order(playlist) == [1, 3, 2]


def test_a_move_after_someone_changed_the_playlist_moves_within_their_order(
    studio, playlist, takes
):
    """The keyboard Move of a page that is behind: an item added meanwhile stays; an item
    removed meanwhile is refused with a message (it was a 500)."""
    first, second = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes[:2])
    services.playlist_add_takes(user=studio.alice, playlist=playlist, takes=[takes[2]])
    services.playlist_move_item(user=studio.bob, item=second, offset=1)  # second as Bob saw it
    assert order(playlist) == [1, 3, 2]
    services.playlist_remove_item(user=studio.alice, item=first)
    with pytest.raises(ValidationError, match="removed from the playlist meanwhile"):
        services.playlist_move_item(user=studio.bob, item=first, offset=1)
    assert order(playlist) == [3, 2]


def test_remove_closes_the_gap(studio, playlist, takes):
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_remove_item(user=studio.bob, item=items[1])
    assert list(playlist.items.values_list("position", flat=True)) == [1, 2]
    assert order(playlist) == [1, 3]


def test_trim_within_the_take_and_refused_outside(studio, playlist, takes):
    item = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[takes[0]])[0]
    services.playlist_trim_item(
        user=studio.bob, item=item, trim_in=Decimal("0.5"), trim_out=Decimal("3")
    )
    item.refresh_from_db()
    assert item.length == Decimal("2.5")
    for trim_in, trim_out, message in [
        (Decimal("-1"), None, "within the take"),
        (None, Decimal("4.5"), "within the take: 0 to 4.0 s"),
        (Decimal("3"), Decimal("2"), "end must come after its start"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.playlist_trim_item(
                user=studio.bob, item=item, trim_in=trim_in, trim_out=trim_out
            )
    item.refresh_from_db()
    assert (item.trim_in, item.trim_out) == (Decimal("0.5"), Decimal("3"))


def test_duplicate_copies_items_and_trims_into_an_independent_variant(studio, playlist, takes):
    items = services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    services.playlist_trim_item(user=studio.bob, item=items[0], trim_in=Decimal("1"), trim_out=None)
    variant = services.playlist_duplicate(user=studio.bob, playlist=playlist)
    assert variant.name == "Hero 15 (variant)"
    assert order(variant) == [1, 2, 3]
    assert variant.items.get(position=1).trim_in == Decimal("1")
    services.playlist_remove_item(user=studio.bob, item=variant.items.get(position=1))
    assert order(playlist) == [1, 2, 3]


def test_summary_counts_length_cost_and_warns(studio, playlist, takes, shots):
    vertical = make_take(shots[1], 2, ratio="9:16", length=8)
    running = make_take(shots[2], 2, status="running")
    services.playlist_add_takes(
        user=studio.bob, playlist=playlist, takes=[*takes, vertical, running]
    )
    items = list(playlist.items.select_related("take"))
    summary = playlist_summary(playlist, items)
    assert summary.count == 5
    assert summary.length == Decimal("24")  # 4 + 4 + 4 + 8 + 4 (the running one's request)
    assert summary.cost == Decimal("9.60")  # the running take at its estimate
    assert summary.over_target
    assert summary.warnings == [
        "Item 5 is not a finished take (Running).",
        "24.0 s is over the 15 s target.",
    ]
    # A vertical take in a landscape ad is fitted on a blurred copy of itself; black bars
    # are what the summary warns of.
    item = playlist.items.get(take=vertical)
    assert item.framing == "blur"
    item.framing = "fit"
    item.save()
    items = list(playlist.items.select_related("take"))
    assert playlist_summary(playlist, items).warnings[0] == (
        "Item 4 is 9:16; the playlist is 16:9: it will be letterboxed."
    )


def test_takes_added_to_a_feed_playlist_are_cropped_to_fill(studio, takes):
    square = services.playlist_create(
        user=studio.bob,
        project=studio.project,
        name="Feed",
        platform="feed-square",
        target_seconds=15,
    )
    added = services.playlist_add_takes(user=studio.bob, playlist=square, takes=takes[:1])
    assert [item.framing for item in added] == ["crop"]


def test_viewers_cannot_edit_playlists(studio, playlist, takes):
    with pytest.raises(PermissionDenied):
        services.playlist_add_takes(user=studio.vera, playlist=playlist, takes=takes)
    assert not playlist.items.exists()


def test_a_storyboard_brings_each_shots_selected_take_when_approved(studio, playlist, takes, shots):
    newer = make_take(shots[0], 2)
    approve(studio, takes[0], newer, takes[1])
    shots[0].selected_take = takes[0]
    shots[0].save()
    playlist_add_storyboard(user=studio.bob, playlist=playlist, storyboard=studio.storyboard)
    first = playlist.items.get(position=1).take
    assert first == takes[0] and first != newer


def test_an_unapproved_selected_take_gives_way_to_the_latest_approved(
    studio, playlist, takes, shots
):
    second, third = make_take(shots[0], 2), make_take(shots[0], 3)
    approve(studio, takes[0], second)
    review_decide(target=third, state=ReviewState.REJECTED, user=studio.rita)
    shots[0].selected_take = third
    shots[0].save()
    items, skipped = playlist_add_storyboard(
        user=studio.bob, playlist=playlist, storyboard=studio.storyboard
    )
    assert [item.take for item in items] == [second]
    assert skipped == 2  # shots 2 and 3: finished takes, none approved


def test_approval_taken_back_no_longer_counts(studio, playlist, takes):
    approve(studio, takes[0], takes[1])
    review_decide(target=takes[1], state=ReviewState.CHANGES_REQUESTED, user=studio.alice)
    items, skipped = playlist_add_storyboard(
        user=studio.bob, playlist=playlist, storyboard=studio.storyboard
    )
    assert [item.take for item in items] == [takes[0]] and skipped == 2


def test_a_storyboard_without_approved_takes_is_refused_and_nothing_added(studio, playlist, takes):
    with pytest.raises(ValidationError, match="Hero spot has no approved takes yet"):
        playlist_add_storyboard(user=studio.bob, playlist=playlist, storyboard=studio.storyboard)
    assert not playlist.items.exists()


def test_viewers_cannot_add_a_storyboard(studio, playlist, takes):
    with pytest.raises(PermissionDenied):
        playlist_add_storyboard(user=studio.vera, playlist=playlist, storyboard=studio.storyboard)


def test_a_deleted_shot_brings_no_take_and_is_not_counted_as_skipped(
    studio, playlist, takes, shots
):
    approve(studio, *takes)
    shots[1].deleted_at = shots[1].created_at  # deleted, within its undo window or not
    shots[1].save()
    items, skipped = playlist_add_storyboard(
        user=studio.bob, playlist=playlist, storyboard=studio.storyboard
    )
    assert [item.take.shot for item in items] == [shots[0], shots[2]]
    assert skipped == 0


@pytest.fixture(scope="module")
def one_second_video(tmp_path_factory) -> Path:
    renderer = VideoRenderer(tmp_path_factory.mktemp("renders"))
    try:
        return renderer.render(prompt="Opening hook", duration=1, width=320, height=180).result(
            timeout=120
        )
    finally:
        renderer.close()


@pytest.mark.postgres
def test_long_names_export_under_a_bounded_name_and_the_manifest_keeps_them(
    studio, playlist, shots, one_second_video
):
    # On PostgreSQL the file name once overflowed its column (the Export click failed) and
    # on disk the name was too long (the export crashed and stayed Exporting).
    studio.project.name = "Summer launch " + "p" * 106
    studio.project.save(update_fields=["name"])
    playlist.name = "Hero cut " + "q" * 111
    playlist.save(update_fields=["name"])
    take = make_take(shots[0], ratio="16:9", length=1, resolution="320x180")
    with one_second_video.open("rb") as handle:
        take.video.save("take.mp4", File(handle))
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])

    names = []
    for version in (1, 2):
        export = services.export_start(user=studio.bob, playlist=playlist)
        exports.export_run(export_id=export.pk)
        export.refresh_from_db()
        assert export.status == ExportStatus.DONE, export.error_message
        assert export.file_name.startswith("summer-launch-p")
        assert 150 < len(export.file_name) <= 200  # room for both names, cut evenly
        assert export.file_name.endswith(f"_youtube-16x9_1s_v{version}.mp4")
        assert export.video.name.endswith(export.file_name)
        assert export.manifest["project"] == studio.project.name
        assert export.manifest["playlist"] == playlist.name
        names.append(export.file_name)
    assert names[0] != names[1]
