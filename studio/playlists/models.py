from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.generation.models import Take, TakeStatus
from studio.projects.models import Project
from studio.teams.models import TeamScopedQuerySet


class Platform(models.TextChoices):
    YOUTUBE = "youtube", "YouTube (16:9)"
    VERTICAL = "vertical", "Reels, TikTok, Shorts (9:16)"
    CUSTOM = "custom", "Custom"


# The aspect ratio each platform preset stands for; custom playlists choose their own.
PLATFORM_RATIOS: dict[str, str] = {Platform.YOUTUBE: "16:9", Platform.VERTICAL: "9:16"}
TARGET_LENGTHS = (6, 15, 30, 60)


class PlaylistQuerySet(TeamScopedQuerySet):
    team_path = "project__team"


class Playlist(models.Model):
    """An ad: takes from the project's storyboards in order, exported as one video."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="playlists")
    name = models.CharField(max_length=120)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.YOUTUBE)
    aspect_ratio = models.CharField(max_length=8, default="16:9")
    target_seconds = models.PositiveSmallIntegerField(default=15)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlaylistQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name


class PlaylistItemQuerySet(TeamScopedQuerySet):
    team_path = "playlist__project__team"


class PlaylistItem(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="items")
    # The column keeps the name it had before the model was called Take, so no data moves.
    take = models.ForeignKey(
        Take, on_delete=models.CASCADE, related_name="playlist_items", db_column="clip_id"
    )
    position = models.PositiveIntegerField()
    trim_in = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    trim_out = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)

    objects = PlaylistItemQuerySet.as_manager()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.playlist}: {self.position}. {self.take}"

    @property
    def take_length(self) -> Decimal:
        return self.take.video_duration or Decimal(self.take.duration)

    @property
    def start(self) -> Decimal:
        return self.trim_in or Decimal("0")

    @property
    def end(self) -> Decimal:
        return self.trim_out if self.trim_out is not None else self.take_length

    @property
    def length(self) -> Decimal:
        return self.end - self.start

    @property
    def is_trimmed(self) -> bool:
        return self.trim_in is not None or self.trim_out is not None

    @property
    def is_ready(self) -> bool:
        return self.take.status == TakeStatus.COMPLETED


class ExportQuerySet(TeamScopedQuerySet):
    team_path = "playlist__project__team"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Exporting"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class Export(models.Model):
    """One version of a playlist as a finished video, kept with its manifest."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="exports")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200)
    # Room for exports/<uuid>/ and the longest file name, with the suffix storage adds when
    # the name is taken (a retried run): the default 100 cut long names short.
    video = models.FileField(upload_to="exports/", blank=True, max_length=300)
    manifest = models.JSONField(default=dict)
    method = models.CharField(max_length=10, blank=True)
    duration = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: written when a run claims it and while it runs (exports.py), and
    # when the sweep sends a queued one again. The sweep fails a run that has gone quiet.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["playlist", "version"], name="one_export_per_version")
        ]
        # exports_sweep: the queued or running exports quiet since some time.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="export_sweep")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
