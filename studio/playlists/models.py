from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from studio.brands.models import END_CARD_MAX_SECONDS, END_CARD_MIN_SECONDS, https_validator
from studio.generation.models import Take, TakeStatus
from studio.projects.models import Project
from studio.teams.models import TeamScopedQuerySet


class Platform(models.TextChoices):
    """Where the ad runs (its placement): each preset fixes the ratio and the frame size."""

    YOUTUBE = "youtube", "YouTube (16:9)"
    VERTICAL = "vertical", "Reels, TikTok, Shorts (9:16)"
    FEED_SQUARE = "feed-square", "Feed (1:1)"
    FEED_PORTRAIT = "feed-portrait", "Feed (4:5)"
    CUSTOM = "custom", "Custom"


# The aspect ratio each platform preset stands for; custom playlists choose their own.
PLATFORM_RATIOS: dict[str, str] = {
    Platform.YOUTUBE: "16:9",
    Platform.VERTICAL: "9:16",
    Platform.FEED_SQUARE: "1:1",
    Platform.FEED_PORTRAIT: "4:5",
}
# The frame a preset's export is rendered at (what the platforms ask of a delivered file).
PLATFORM_SIZES: dict[str, tuple[int, int]] = {
    Platform.YOUTUBE: (1920, 1080),
    Platform.VERTICAL: (1080, 1920),
    Platform.FEED_SQUARE: (1080, 1080),
    Platform.FEED_PORTRAIT: (1080, 1350),
}
TARGET_LENGTHS = (6, 15, 30, 60)

# Finishing: one limit each, kept by the model, the forms and the services.
CAPTION_MAX_LENGTH = 120
CTA_TEXT_MAX_LENGTH = 80
CTA_URL_MAX_LENGTH = 300
CROSSFADE_MIN_SECONDS = Decimal("0.2")
CROSSFADE_MAX_SECONDS = Decimal("2.0")
# A project without a brand kit (or a kit without a length) gets this end card.
END_CARD_DEFAULT_SECONDS = Decimal("2")
# A music bed's upload is bounded (its length, by studio.stitch.finishing.MUSIC_MAX_SECONDS).
MUSIC_MAX_BYTES = 30 * 1024 * 1024
MUSIC_GAIN_RANGE = (-30, 0)  # dB applied to the bed before it is mixed and ducked
MUSIC_DEFAULT_GAIN = -12
# The playlist's music bed: copied whole when a playlist is duplicated or made a deliverable
# (the stored file is shared, not copied).
MUSIC_FIELDS = ["music", "music_name", "music_seconds", "music_gain"]


class Framing(models.TextChoices):
    """How a take whose ratio is not the playlist's fills the frame."""

    CROP = "crop", "Crop to fill"
    BLUR = "blur", "Fit on a blurred copy"
    FIT = "fit", "Fit with black bars"


class Transition(models.TextChoices):
    CUT = "cut", "Cut"
    CROSSFADE = "crossfade", "Crossfade"


class Loudness(models.IntegerChoices):
    """Integrated loudness targets (LUFS): streaming platforms, podcasts, broadcast (EBU R128)."""

    STREAMING = -14, "-14 LUFS (YouTube, social feeds)"
    QUIETER = -16, "-16 LUFS (podcasts, some platforms)"
    BROADCAST = -23, "-23 LUFS (broadcast, EBU R128)"


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
    # Finishing (rendered by the export engine later): the end card, and the loudness target.
    end_card = models.BooleanField(default=False)
    # None follows the project's brand kit (END_CARD_DEFAULT_SECONDS without one).
    end_card_seconds = models.DecimalField(
        "end-card length",
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(END_CARD_MIN_SECONDS),
            MaxValueValidator(END_CARD_MAX_SECONDS),
        ],
    )
    # Blank follows the brand kit's call to action.
    cta_text = models.CharField("call to action", max_length=CTA_TEXT_MAX_LENGTH, blank=True)
    cta_url = models.CharField(
        "call-to-action URL",
        max_length=CTA_URL_MAX_LENGTH,
        blank=True,
        validators=[https_validator],
    )
    loudness_target = models.SmallIntegerField(choices=Loudness.choices, default=Loudness.STREAMING)
    # A music bed under the takes' own sound (ducked under it), looped or cut to the ad's length.
    music = models.FileField(upload_to="music/", blank=True, max_length=300)
    music_name = models.CharField(max_length=200, blank=True)  # the uploaded file's own name
    music_seconds = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    music_gain = models.SmallIntegerField(
        default=MUSIC_DEFAULT_GAIN,
        validators=[MinValueValidator(MUSIC_GAIN_RANGE[0]), MaxValueValidator(MUSIC_GAIN_RANGE[1])],
    )
    # A deliverable: the ad (playlist) it was made from, in this playlist's placement and length.
    source = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="deliverables"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlaylistQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_card_seconds__isnull=True)
                | models.Q(end_card_seconds__gte=END_CARD_MIN_SECONDS)
                & models.Q(end_card_seconds__lte=END_CARD_MAX_SECONDS),
                name="playlist_end_card_1_to_5_seconds",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    music_gain__gte=MUSIC_GAIN_RANGE[0], music_gain__lte=MUSIC_GAIN_RANGE[1]
                ),
                name="playlist_music_gain_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def end_card_length(self) -> Decimal:
        """The end card's length as chosen, else the brand kit's, else 2 s (whether or not
        the end card is on). Reads the project's kit: one query unless it is loaded."""
        if self.end_card_seconds is not None:
            return self.end_card_seconds
        kit = self.project.brand_kit
        return kit.end_card_seconds if kit is not None else END_CARD_DEFAULT_SECONDS

    @property
    def end_card_added(self) -> Decimal:
        """What the end card adds to the ad's length."""
        return self.end_card_length if self.end_card else Decimal("0")


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
    caption = models.CharField(max_length=CAPTION_MAX_LENGTH, blank=True)
    # Into the next item; the last item's is ignored (and refused when set).
    transition = models.CharField(max_length=10, choices=Transition.choices, default=Transition.CUT)
    # A crossfade's length; None for a cut.
    transition_seconds = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(CROSSFADE_MIN_SECONDS),
            MaxValueValidator(CROSSFADE_MAX_SECONDS),
        ],
    )

    # A take of another ratio than the playlist's: cropped around a centre (fractions of the
    # take's width and height), or fitted on a blurred copy of itself, or with black bars.
    framing = models.CharField(max_length=8, choices=Framing.choices, default=Framing.CROP)
    crop_x = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    crop_y = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # Kept whole when a shorter cut is proposed from this playlist.
    keep = models.BooleanField(default=False)

    objects = PlaylistItemQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(crop_x__gte=0, crop_x__lte=1, crop_y__gte=0, crop_y__lte=1),
                name="playlist_item_crop_centre_in_frame",
            ),
            models.CheckConstraint(
                condition=models.Q(transition="cut", transition_seconds__isnull=True)
                | models.Q(
                    transition="crossfade",
                    transition_seconds__gte=CROSSFADE_MIN_SECONDS,
                    transition_seconds__lte=CROSSFADE_MAX_SECONDS,
                ),
                name="playlist_item_crossfade_0_2_to_2_seconds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playlist}: {self.position}. {self.take}"

    # What an item carries into a copy of its playlist (a duplicate, a deliverable).
    COPIED_FIELDS = (
        "take_id",
        "position",
        "trim_in",
        "trim_out",
        "caption",
        "transition",
        "transition_seconds",
        "framing",
        "crop_x",
        "crop_y",
        "keep",
    )

    def copy_to(self, playlist: "Playlist", **changes) -> "PlaylistItem":
        """This item for another playlist, unsaved, with `changes` made."""
        fields = {name: getattr(self, name) for name in self.COPIED_FIELDS}
        return PlaylistItem(playlist=playlist, **(fields | changes))

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

    @property
    def crossfade(self) -> Decimal:
        """The crossfade into the next item as set (0 for a cut)."""
        if self.transition == Transition.CROSSFADE and self.transition_seconds is not None:
            return self.transition_seconds
        return Decimal("0")


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
