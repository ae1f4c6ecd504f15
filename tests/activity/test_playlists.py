"""The log lines playlists write: created, duplicated, and each export started and finished."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
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
