"""An ad with two deliverables (vertical and square), each of the three finished takes; exports
finished or failed by writing what a run would have written (a small stored file, a manifest)."""

import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from studio.deliveries import packing, services
from studio.deliveries.models import Delivery
from studio.playlists import services as playlist_services
from studio.playlists.models import Export, ExportStatus, Playlist, PlaylistItem
from tests.factories import make_playlist


@pytest.fixture
def ad(studio, takes) -> Playlist:
    ad = make_playlist(studio.project)
    playlist_services.playlist_add_takes(user=studio.bob, playlist=ad, takes=takes)
    return ad


def make_deliverable(ad: Playlist, takes, *, name: str, platform: str, ratio: str) -> Playlist:
    deliverable = make_playlist(
        ad.project, name=name, platform=platform, aspect_ratio=ratio, source=ad
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=deliverable, take=take, position=n)
        for n, take in enumerate(takes, start=1)
    )
    return deliverable


@pytest.fixture
def deliverables(ad, takes) -> list[Playlist]:
    return [
        make_deliverable(ad, takes, name="Hero 15 vertical", platform="vertical", ratio="9:16"),
        make_deliverable(ad, takes, name="Hero 15 square", platform="feed-square", ratio="1:1"),
    ]


def video_bytes(export: Export) -> bytes:
    """A stand-in for the rendered file: different for every export."""
    return f"mp4 of {export.file_name} ".encode() * 2000


def finish_export(export: Export, *, manifest: bool = True) -> Export:
    """As export_run leaves a finished export; with the manifest keys of a finished file
    (`file`, `finishing.loudness`), or without them, as an older export has none."""
    data = video_bytes(export)
    export.video.save(f"exports/{export.uuid}/{export.file_name}", ContentFile(data), save=False)
    export.status, export.progress = ExportStatus.DONE, 100
    export.duration, export.finished_at = Decimal("12.000"), timezone.now()
    if manifest:
        export.manifest = export.manifest | {
            "file": {
                "name": export.file_name,
                "width": 1080,
                "height": 1920 if export.playlist.aspect_ratio == "9:16" else 1080,
                "duration": "12.000",
                "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            "finishing": {
                "loudness": {
                    "target": -14,
                    "true_peak_ceiling": "-1.0",
                    "integrated": "-14.1",
                    "true_peak": "-1.3",
                }
            },
        }
    export.save()
    return export


def fail_export(export: Export, message: str = "Item 2 is not a playable video.") -> Export:
    export.status, export.error_message, export.finished_at = (
        ExportStatus.FAILED,
        message,
        timezone.now(),
    )
    export.save(update_fields=["status", "error_message", "finished_at"])
    return export


def exports_of(delivery: Delivery) -> list[Export]:
    return [file.export for file in delivery.files.select_related("export__playlist")]


def packed(delivery: Delivery) -> Delivery:
    """The check notices the ended exports, the packing run packs; the delivery as it ends."""
    for delivery_id in packing.deliveries_check():
        packing.pack_run(delivery_id=delivery_id)
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def started(studio, ad, deliverables) -> Delivery:
    return services.delivery_start(user=studio.bob, ad=ad)


@pytest.fixture
def ready(started) -> Delivery:
    for export in exports_of(started):
        finish_export(export)
    return packed(started)
