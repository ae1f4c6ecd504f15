"""Export all: start an export of every deliverable of an ad, grouped as one delivery, and run
again what failed. The worker's side (noticing that all have ended, packing) is packing.py."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.playlists.models import Playlist
from studio.playlists.services import export_start
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import ACTIVE_STATUSES, Delivery, DeliveryFile, DeliveryStatus, gone_message


def deliverables_of(ad: Playlist) -> list[Playlist]:
    """The ad's deliverables in the order they were made, with their items and takes."""
    return list(ad.deliverables.order_by("pk").prefetch_related("items__take"))


def _not_exportable(deliverables: list[Playlist]) -> list[str]:
    """Why each deliverable that cannot be exported cannot, by name (export_start would stop at
    the first; the user should see them all at once)."""
    problems = []
    for deliverable in deliverables:
        items = list(deliverable.items.all())
        if not items:
            problems.append(f"“{deliverable.name}” has no takes: add them, or delete it.")
            continue
        unfinished = [n for n, item in enumerate(items, start=1) if not item.is_ready]
        if unfinished:
            numbers = ", ".join(map(str, unfinished))
            problems.append(
                f"“{deliverable.name}” has unfinished takes (item {numbers}): export once every "
                "take is completed."
            )
    return problems


def delivery_start(*, user, ad: Playlist) -> Delivery:
    """One export per deliverable, through export_start (its checks, its queue: each is a new
    version of that deliverable), grouped as a delivery. All start, or none: every deliverable
    is checked first, and the exports' messages are sent once the whole is committed.
    A second click while one is under way answers with that one rather than starting twice."""
    require_action(user=user, team=ad.project.team, action=Action.EDIT)
    if ad.source_id is not None:
        raise ValidationError("This is a deliverable: export all from the ad it was made from.")
    with transaction.atomic():
        # Serialise two clicks of Export all on one ad.
        Playlist.objects.select_for_update().filter(pk=ad.pk).first()
        running = ad.deliveries.filter(status__in=ACTIVE_STATUSES).first()
        if running is not None:
            return running
        deliverables = deliverables_of(ad)
        if not deliverables:
            raise ValidationError(
                f"“{ad.name}” has no deliverables yet: make them (a placement and a length "
                "each), then export them all."
            )
        problems = _not_exportable(deliverables)
        if problems:
            raise ValidationError(problems)
        delivery = Delivery.objects.create(ad=ad, created_by=user, heartbeat_at=timezone.now())
        DeliveryFile.objects.bulk_create(
            DeliveryFile.of(
                delivery=delivery,
                position=position,
                export=export_start(user=user, playlist=deliverable),
            )
            for position, deliverable in enumerate(deliverables, start=1)
        )
        activity_record(
            project=ad.project,
            verb=Verb.EXPORTED,
            subject=f"all {len(deliverables)} deliverables of {ad.name} (started)",
            actor=user,
        )
    return delivery


def delivery_retry(*, user, delivery: Delivery) -> Delivery:
    """Run a failed delivery again: the files that failed are exported anew (a new version
    each): those whose export failed or was deleted, and those whose stored file was missing or
    had changed when packed. The finished ones are kept, not rendered twice. Then it packs as
    before. A delivery that failed while packing with every file sound (a lost run, a full
    disk) goes straight back to packing. One whose deliverable was deleted cannot: what it
    would deliver is no longer the ad's deliverables, so it is refused (Export all again)."""
    require_action(user=user, team=delivery.ad.project.team, action=Action.EDIT)
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != DeliveryStatus.FAILED:
            raise ValidationError("Only a failed delivery can run again: this one has not failed.")
        files = list(
            locked.files.select_related(
                "export__playlist__project__team", "deliverable__project__team"
            )
        )
        gone = [file.name for file in files if not file.can_render_again]
        if gone:
            raise ValidationError(gone_message(gone))
        failed = [file for file in files if file.is_failed]
        for file in failed:
            deliverable = file.source
            assert deliverable is not None
            file.point_at(export_start(user=user, playlist=deliverable))
        DeliveryFile.objects.bulk_update(
            failed, ["export", "deliverable", "file_name", "placement", "unpackable"]
        )
        Delivery.objects.filter(pk=locked.pk).transition(
            from_statuses=[DeliveryStatus.FAILED],
            status=DeliveryStatus.RENDERING,
            error_message="",
            heartbeat_at=timezone.now(),
            pack_started_at=None,
            finished_at=None,
        )
        activity_record(
            project=delivery.ad.project,
            verb=Verb.EXPORTED,
            subject=f"the deliverables of {delivery.ad.name} again "
            f"({len(failed)} of {len(files)} files)",
            actor=user,
        )
    locked.refresh_from_db()
    return locked
