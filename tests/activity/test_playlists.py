"""The log lines playlists write: created, duplicated, each export started and finished, and
its items added, moved, reordered, trimmed and removed; a change that changes nothing writes
no line."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile

from studio.activity.models import Activity, Verb
from studio.playlists import exports, services
from studio.playlists.models import Playlist, PlaylistItem
from studio.stitch.export import ExportError
from tests.factories import make_take

pytestmark = pytest.mark.django_db


def lines() -> list[tuple]:
    return list(
        Activity.objects.order_by("pk").values_list("actor_name", "verb", "subject", "project")
    )


def test_creating_a_playlist_is_logged(studio):
    services.playlist_create(
        user=studio.bob,
        project=studio.project,
        name="Hero 15",
        platform="vertical",
        target_seconds=15,
    )
    assert lines() == [("bob", Verb.CREATED, "playlist Hero 15 (9:16, 15 s)", studio.project.pk)]


def test_a_refused_playlist_writes_no_line(studio):
    with pytest.raises(Exception, match="16:9 or 9:16"):
        services.playlist_create(
            user=studio.bob,
            project=studio.project,
            name="Square",
            platform="custom",
            target_seconds=15,
            aspect_ratio="1:1",
        )
    assert lines() == []


def test_duplicating_a_playlist_is_logged(studio, playlist):
    services.playlist_duplicate(user=studio.bob, playlist=playlist, name="Hero 15 B")
    assert lines() == [("bob", Verb.DUPLICATED, "playlist Hero 15 as Hero 15 B", studio.project.pk)]


@pytest.fixture
def ready(studio, playlist) -> Playlist:
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(b"\x00" * 64))
    PlaylistItem.objects.create(playlist=playlist, take=take, position=1)
    return playlist


def test_an_export_is_logged_when_started_and_when_finished(studio, ready, monkeypatch):
    def stitch(segments, target, **kwargs):
        target.write_bytes(b"video")
        return SimpleNamespace(method="copy", duration=Decimal("4.02"))

    monkeypatch.setattr(exports, "stitch", stitch)
    export = services.export_start(user=studio.bob, playlist=ready)
    assert lines() == [
        (
            "bob",
            Verb.EXPORTED,
            f"playlist Hero 15 as {export.file_name} (started)",
            ready.project_id,
        )
    ]
    exports.export_run(export_id=export.pk)
    assert lines()[-1] == (
        "bob",
        Verb.EXPORTED,
        f"playlist Hero 15 as {export.file_name} (finished, 4.0 s)",
        ready.project_id,
    )
    line = Activity.objects.last()
    assert line.actor == studio.bob and line.cost is None


def test_a_failed_export_is_logged_with_the_reason(studio, ready, monkeypatch):
    def stitch(segments, target, **kwargs):
        raise ExportError("take 1 is not a playable video")

    monkeypatch.setattr(exports, "stitch", stitch)
    export = services.export_start(user=studio.bob, playlist=ready)
    exports.export_run(export_id=export.pk)
    assert lines()[-1][2] == (
        f"playlist Hero 15 as {export.file_name} (failed: take 1 is not a playable video)"
    )


def test_a_refused_export_writes_no_line(studio, playlist):
    with pytest.raises(Exception, match="Add takes"):
        services.export_start(user=studio.bob, playlist=playlist)
    assert lines() == []


def test_adding_a_take_is_logged_with_its_shot(studio, playlist):
    take = make_take(studio.shot)
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=[take])
    assert lines() == [
        ("bob", Verb.ADDED, "take 1 of shot 1 to playlist Hero 15", playlist.project_id)
    ]
    line = Activity.objects.get()
    assert (line.shot, line.shot_number, line.take) == (studio.shot, 1, take)


def test_adding_several_takes_is_one_line(studio, playlist, takes):
    services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    assert lines() == [("bob", Verb.ADDED, "3 takes to playlist Hero 15", playlist.project_id)]


@pytest.fixture
def items(playlist, takes) -> list[PlaylistItem]:
    return PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, take=take, position=n) for n, take in enumerate(takes, 1)
    )


def test_moving_an_item_is_logged(studio, items):
    services.playlist_move_item(user=studio.bob, item=items[0], offset=1)
    assert lines()[-1][:3] == ("bob", Verb.MOVED, "take 1 of shot 1 in playlist Hero 15 to place 2")


def test_moving_an_item_past_either_end_writes_no_line(studio, items):
    services.playlist_move_item(user=studio.bob, item=items[0], offset=-1)
    services.playlist_move_item(user=studio.bob, item=items[2], offset=1)
    assert lines() == []


def test_reordering_by_drag_is_one_line(studio, playlist, items):
    order = [str(items[n].uuid) for n in (2, 0, 1)]
    services.playlist_reorder(user=studio.bob, playlist=playlist, item_uuids=order)
    assert lines() == [
        ("bob", Verb.REORDERED, "the items of playlist Hero 15", playlist.project_id)
    ]


def test_a_drag_that_leaves_the_order_as_it_was_writes_no_line(studio, playlist, items):
    order = [str(item.uuid) for item in items]
    services.playlist_reorder(user=studio.bob, playlist=playlist, item_uuids=order)
    assert lines() == []


def test_trimming_an_item_is_logged(studio, items):
    services.playlist_trim_item(
        user=studio.bob, item=items[1], trim_in=Decimal("0.5"), trim_out=Decimal("3")
    )
    subject = "take 1 of shot 2 in playlist Hero 15 to keep 0.50 s to 3.00 s"
    assert lines()[-1][:3] == ("bob", Verb.TRIMMED, subject)


def test_a_one_frame_trim_reads_to_the_hundredth(studio, items):
    """A frame of the export is 1/24 s: to a tenth, trimming one read as trimming none."""
    services.playlist_trim_item(
        user=studio.bob, item=items[0], trim_in=Decimal("0.042"), trim_out=None
    )
    assert lines()[-1][2] == "take 1 of shot 1 in playlist Hero 15 to keep 0.04 s to 4.00 s"


def test_a_trim_that_changes_nothing_writes_no_line(studio, items):
    trim = {"trim_in": Decimal("0.5"), "trim_out": Decimal("3")}
    services.playlist_trim_item(user=studio.bob, item=items[1], **trim)
    services.playlist_trim_item(user=studio.bob, item=items[1], **trim)
    # Untrimmed, and trimmed from 0 to the take's end, keep the same.
    services.playlist_trim_item(
        user=studio.bob, item=items[0], trim_in=Decimal("0"), trim_out=Decimal("4")
    )
    assert [line[1] for line in lines()] == [Verb.TRIMMED]


def test_removing_an_item_is_logged(studio, items):
    services.playlist_remove_item(user=studio.bob, item=items[2])
    assert lines()[-1][:3] == ("bob", Verb.REMOVED, "take 1 of shot 3 from playlist Hero 15")


def test_a_refused_trim_writes_no_line(studio, items):
    with pytest.raises(Exception, match="end must come after"):
        services.playlist_trim_item(
            user=studio.bob, item=items[0], trim_in=Decimal("3"), trim_out=Decimal("1")
        )
    assert lines() == []


def test_a_viewer_cannot_move_an_item_and_nothing_is_logged(studio, items):
    with pytest.raises(PermissionDenied):
        services.playlist_move_item(user=studio.vera, item=items[0], offset=1)
    assert lines() == []
