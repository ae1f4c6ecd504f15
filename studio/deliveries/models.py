"""A delivery: every deliverable of an ad exported at once, then packed in one zip with a
delivery sheet, the package handed to a media buyer. Nothing is packed half-done: the zip is
made only once every file has rendered; a failed file fails the delivery, which can run again."""

from collections.abc import Iterable
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.playlists.models import Export, ExportStatus, Playlist
from studio.teams.models import TeamScopedQuerySet


class DeliveryStatus(models.TextChoices):
    RENDERING = "rendering", "Rendering"
    PACKING = "packing", "Packing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (DeliveryStatus.RENDERING, DeliveryStatus.PACKING)

# The legal moves of a delivery's status; DeliveryQuerySet.transition refuses any other.
MOVES: dict[str, frozenset[str]] = {
    DeliveryStatus.RENDERING: frozenset(
        {
            DeliveryStatus.PACKING,  # every export is done: the check claims it for packing
            DeliveryStatus.FAILED,  # every export has ended, and one or more failed
        }
    ),
    DeliveryStatus.PACKING: frozenset(
        {
            DeliveryStatus.READY,  # the zip is stored
            DeliveryStatus.FAILED,  # a file could not be read, or the packing run was lost
        }
    ),
    DeliveryStatus.READY: frozenset(),
    # Run again: what failed renders again (the finished files are kept), then packs.
    DeliveryStatus.FAILED: frozenset({DeliveryStatus.RENDERING}),
}


def gone_message(names: list[str]) -> str:
    """Why a delivery some of whose deliverables were deleted cannot be packed (or run again):
    what it delivers is the ad's deliverables as they were, so it starts anew."""
    if len(names) == 1:
        return f"{names[0]} was deleted before it was packed; run Export all again."
    return f"{', '.join(names)} were deleted before they were packed; run Export all again."


class IllegalMove(ValueError):
    """A status write that MOVES does not allow."""


class DeliveryQuerySet(TeamScopedQuerySet):
    team_path = "ad__project__team"

    def transition(self, *, from_statuses: Iterable[str], **fields) -> int:
        """The one writer of deliveries' status: UPDATE these WHERE status IN `from_statuses`,
        and return how many rows moved (a second run, or a race, moves none). A move that MOVES
        does not list raises IllegalMove before the database is touched."""
        from_statuses = list(from_statuses)
        if "status" in fields:
            illegal = [old for old in from_statuses if fields["status"] not in MOVES[old]]
            if illegal:
                raise IllegalMove(
                    f"A delivery cannot go from {', '.join(illegal)} to {fields['status']}."
                )
        return self.filter(status__in=from_statuses).update(**fields)


def package_upload_to(delivery: "Delivery", filename: str) -> str:
    return f"deliveries/{delivery.uuid}/{filename}"


class Delivery(models.Model):
    """Every deliverable of one ad (its source), exported together and packed as one zip."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    ad = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RENDERING
    )
    package = models.FileField(upload_to=package_upload_to, blank=True, max_length=300)
    package_size = models.PositiveBigIntegerField(null=True, blank=True)
    # The sheet's rows as packed (the zip's CSV and HTML are made from them): what the buyer
    # was handed, even after the deliverables are reviewed again or exported anew.
    sheet = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Packing: claimed for packing (status packing, heartbeat written, pack_started_at empty
    # while the message waits), then claimed by a run (pack_started_at is that run's own).
    pack_started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        # deliveries_check: the rendering deliveries, and the packing ones quiet since some time.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="delivery_check")]

    def __str__(self) -> str:
        return f"Delivery of {self.ad}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class DeliveryFile(models.Model):
    """One file of a delivery: its deliverable's export. Run again points a file that failed
    (or could not be packed) at a new export; the old one stays in the deliverable's versions.
    Its name and placement are kept on the row: a deliverable deleted meanwhile (its exports
    with it) leaves the row, which fails the delivery by name rather than packing fewer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    deliverable = models.ForeignKey(
        Playlist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    export = models.ForeignKey(
        Export, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True)
    placement = models.CharField(max_length=100, blank=True)
    # Its stored file was missing, or had changed, when it was packed: Run again renders it anew.
    unpackable = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "position"], name="one_file_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.delivery}: {self.position}. {self.name}"

    @classmethod
    def of(cls, *, delivery: Delivery, position: int, export: Export) -> "DeliveryFile":
        """A row for `export`, its name and placement written down."""
        file = cls(delivery=delivery, position=position)
        file.point_at(export)
        return file

    def point_at(self, export: Export) -> None:
        self.export, self.deliverable = export, export.playlist
        self.file_name = export.file_name
        self.placement = export.playlist.get_platform_display()
        self.unpackable = False

    @property
    def name(self) -> str:
        """Its file's name: its export's, else as written down when it was made."""
        if self.export is not None:
            return self.export.file_name
        return self.file_name or f"File {self.position}"

    @property
    def is_gone(self) -> bool:
        """Its export was deleted (with its deliverable) before the delivery was packed."""
        return self.export is None

    @property
    def source(self) -> Playlist | None:
        """The deliverable Run again exports anew (None: deleted, Export all again)."""
        if self.deliverable_id is not None:
            return self.deliverable
        return self.export.playlist if self.export is not None else None

    @property
    def can_render_again(self) -> bool:
        """Its deliverable is still there (no query: the ids are on the rows)."""
        return self.deliverable_id is not None or self.export is not None

    @property
    def is_failed(self) -> bool:
        """Run again renders it anew: its export failed, is gone, or could not be packed."""
        return self.export is None or self.export.status == ExportStatus.FAILED or self.unpackable
