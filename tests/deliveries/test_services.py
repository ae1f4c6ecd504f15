"""Export all: who may start it, what it refuses (naming each deliverable), and run again."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from studio.activity.models import Activity
from studio.deliveries import services
from studio.deliveries.models import MOVES, Delivery, DeliveryStatus, IllegalMove
from studio.generation.models import TakeStatus
from studio.playlists.models import Export, ExportStatus, PlaylistItem
from tests.deliveries.conftest import exports_of, fail_export, finish_export, packed
from tests.factories import make_take

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_owner_and_editor_start_one_export_per_deliverable(studio, ad, deliverables, who):
    delivery = services.delivery_start(user=getattr(studio, who), ad=ad)
    exports = exports_of(delivery)
    assert [e.playlist for e in exports] == deliverables
    assert all(e.status == ExportStatus.QUEUED and e.version == 1 for e in exports)
    assert delivery.status == DeliveryStatus.RENDERING
    assert not ad.exports.exists()  # the ad itself is not one of the files
    assert Activity.objects.filter(subject__startswith="all 2 deliverables of Hero 15").exists()


@pytest.mark.parametrize("who", ["rita", "vera", "oscar"])
def test_reviewer_viewer_and_outsider_cannot(studio, ad, deliverables, who):
    with pytest.raises(PermissionDenied):
        services.delivery_start(user=getattr(studio, who), ad=ad)
    assert not Delivery.objects.exists() and not Export.objects.exists()


def test_nothing_to_deliver_says_so(studio, ad):
    with pytest.raises(ValidationError) as refused:
        services.delivery_start(user=studio.bob, ad=ad)
    assert "“Hero 15” has no deliverables yet" in refused.value.messages[0]
    assert not Delivery.objects.exists()


def test_a_deliverable_is_not_an_ad_to_export_all_from(studio, ad, deliverables):
    with pytest.raises(ValidationError) as refused:
        services.delivery_start(user=studio.bob, ad=deliverables[0])
    assert refused.value.messages == [
        "This is a deliverable: export all from the ad it was made from."
    ]


def test_an_empty_or_unfinished_deliverable_is_named_and_nothing_starts(studio, ad, deliverables):
    vertical, square = deliverables
    vertical.items.all().delete()
    pending = make_take(studio.shot, status=TakeStatus.PENDING)
    PlaylistItem.objects.create(playlist=square, take=pending, position=4)
    with pytest.raises(ValidationError) as refused:
        services.delivery_start(user=studio.bob, ad=ad)
    assert refused.value.messages == [
        "“Hero 15 vertical” has no takes: add them, or delete it.",
        "“Hero 15 square” has unfinished takes (item 4): export once every take is completed.",
    ]
    assert not Delivery.objects.exists() and not Export.objects.exists()


def test_a_second_click_while_running_answers_with_the_same_delivery(studio, ad, deliverables):
    first = services.delivery_start(user=studio.bob, ad=ad)
    assert services.delivery_start(user=studio.alice, ad=ad) == first
    assert Export.objects.count() == 2


def test_run_again_renders_only_the_failed_file_and_keeps_the_finished(studio, ad, deliverables):
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    vertical, square = exports_of(delivery)
    finish_export(vertical)
    fail_export(square)
    assert packed(delivery).status == DeliveryStatus.FAILED
    services.delivery_retry(user=studio.bob, delivery=delivery)
    delivery.refresh_from_db()
    again = exports_of(delivery)
    assert again[0] == vertical  # kept, not rendered twice
    assert again[1].playlist == square.playlist and again[1].version == 2
    assert again[1].status == ExportStatus.QUEUED
    assert delivery.status == DeliveryStatus.RENDERING and delivery.error_message == ""
    finish_export(again[1])
    assert packed(delivery).status == DeliveryStatus.READY


def test_run_again_is_refused_unless_failed_and_to_a_viewer(studio, ad, deliverables):
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    with pytest.raises(ValidationError):
        services.delivery_retry(user=studio.bob, delivery=delivery)
    with pytest.raises(PermissionDenied):
        services.delivery_retry(user=studio.vera, delivery=delivery)


def test_the_table_of_moves_is_walked_by_the_one_writer(studio, ad, deliverables):
    assert set(MOVES) == set(DeliveryStatus)
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    rows = Delivery.objects.filter(pk=delivery.pk)
    for old in DeliveryStatus:
        for new in DeliveryStatus:
            rows.update(status=old)
            if new in MOVES[old]:
                assert rows.transition(from_statuses=[old], status=new) == 1
            else:
                with pytest.raises(IllegalMove):
                    rows.transition(from_statuses=[old], status=new)
    assert not MOVES[DeliveryStatus.READY]


def test_run_again_exports_anew_a_file_whose_export_alone_was_deleted(studio, ad, deliverables):
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    vertical, square = exports_of(delivery)
    finish_export(vertical)
    Export.objects.filter(pk=square.pk).delete()  # its deliverable is still there
    assert packed(delivery).status == DeliveryStatus.FAILED
    assert f"{square.file_name} was deleted before it was packed" in delivery.error_message
    services.delivery_retry(user=studio.bob, delivery=delivery)
    again = exports_of(delivery)
    assert again[0] == vertical and again[1].playlist == deliverables[1]
    finish_export(again[1])
    assert packed(delivery).status == DeliveryStatus.READY


def test_run_again_on_a_file_made_before_its_deliverable_was_noted(studio, ad, deliverables):
    """A row made before migration 0002 noted its deliverable: its export's is exported."""
    delivery = services.delivery_start(user=studio.bob, ad=ad)
    vertical, square = exports_of(delivery)
    delivery.files.update(deliverable=None, file_name="", placement="")
    finish_export(vertical)
    fail_export(square)
    assert packed(delivery).status == DeliveryStatus.FAILED
    services.delivery_retry(user=studio.bob, delivery=delivery)
    again = exports_of(delivery)
    assert again[0] == vertical and again[1].playlist == deliverables[1]
    assert delivery.files.get(position=2).deliverable == deliverables[1]
