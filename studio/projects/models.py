from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from studio.catalog.models import VideoModel
from studio.teams.models import Team, TeamScopedQuerySet

PROMPT_MAX_LENGTH = 2000
# Notes are shown on every shot card, which every viewer of the storyboard fetches again as it
# changes: 5000 characters is a page of direction, not a payload.
NOTES_MAX_LENGTH = 5000


def keep_to(limit: int, what: str) -> MaxLengthValidator:
    """A text field's limit in the words the forms and the CSV import show beside it."""
    return MaxLengthValidator(limit, f"Keep the {what} to {limit} characters (%(show_value)d now).")


def limit_of(field: models.Field, what: str) -> MaxLengthValidator:
    """keep_to at the model field's own max_length: the one limit, read where text comes in."""
    assert field.max_length is not None
    return keep_to(field.max_length, what)


def validate_prompt(prompt: str) -> None:
    """Every path to the gateway checks this, not only the form: a bad prompt is refused
    before anything is reserved or sent."""
    if not prompt.strip():
        raise ValidationError({"prompt": "Describe the shot: the prompt cannot be empty."})
    if len(prompt) > PROMPT_MAX_LENGTH:
        raise ValidationError(
            {"prompt": f"Keep the prompt to {PROMPT_MAX_LENGTH} characters ({len(prompt)} now)."}
        )


class ProjectQuerySet(TeamScopedQuerySet):
    team_path = "team"


class Project(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=120)
    client = models.CharField(max_length=120, blank=True)
    budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="In USD.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The client's look for this project's end cards and captions: one of its team's kits
    # (checked in clean() and by studio.brands.services.project_brand_kit_set), or none.
    brand_kit = models.ForeignKey(
        "brands.BrandKit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.brand_kit is not None and self.brand_kit.team_id != self.team_id:
            raise ValidationError({"brand_kit": "Choose one of this team's brand kits."})


class StoryboardQuerySet(TeamScopedQuerySet):
    team_path = "project__team"


class Storyboard(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="storyboards")
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoryboardQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.title


class Part(models.TextChoices):
    """What a shot is in the ad, for variants: shots of the same part are alternatives of it,
    and a variant takes one of each part, in this order."""

    NONE = "", "No part"
    HOOK = "hook", "Hook"
    BODY = "body", "Body"
    CTA = "cta", "Call to action"


# The parts in the order a variant plays them.
PARTS = (Part.HOOK, Part.BODY, Part.CTA)


class ShotQuerySet(TeamScopedQuerySet):
    team_path = "storyboard__project__team"


def visible_shots(path: str = "") -> Q:
    """Shots not deleted, also where a query reaches them through a join (`path` is the lookup
    to the shot, e.g. "shot__"): the manager below only filters queries that start at Shot."""
    return Q(**{f"{path}deleted_at__isnull": True})


class VisibleShotManager(models.Manager.from_queryset(ShotQuerySet)):  # type: ignore[misc]
    """Shots not deleted: what every list, count and batch sees. A deleted shot stays in the
    table (its takes may be in playlists, the activity log names it, undo brings it back),
    and a take still reaches it through its foreign key (Django uses the base manager)."""

    def get_queryset(self) -> ShotQuerySet:
        return super().get_queryset().filter(visible_shots())


class Shot(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="shots")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=120, blank=True)
    prompt = models.TextField(validators=[MaxLengthValidator(PROMPT_MAX_LENGTH)])
    duration = models.PositiveSmallIntegerField(help_text="Seconds.")
    aspect_ratio = models.CharField(max_length=8)
    video_model = models.ForeignKey(VideoModel, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(
        blank=True, max_length=NOTES_MAX_LENGTH, validators=[keep_to(NOTES_MAX_LENGTH, "notes")]
    )
    # The take chosen for the ad: what a playlist picks up from this shot by default.
    selected_take = models.ForeignKey(
        "generation.Take", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Hook, body or call to action: the alternatives that Make variants combines.
    part = models.CharField(max_length=8, choices=Part.choices, blank=True, default=Part.NONE)
    # Bumped by every edit: a save based on an older version is a conflict, never an overwrite.
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Also the live view's change marker: every write to a shot sets it, bulk ones included.
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleShotManager()
    all_objects = ShotQuerySet.as_manager()

    Part = Part  # for templates: {% for value, label in shot.Part.choices %}

    class Meta:
        ordering = ["position", "created_at"]
        # The live view's question: what changed on this storyboard since the viewer's token.
        indexes = [models.Index(fields=["storyboard", "updated_at"], name="shot_changes")]

    def __str__(self) -> str:
        return f"Shot {self.position}: {self.label}"

    @property
    def label(self) -> str:
        return self.title or self.prompt[:40]

    @property
    def estimated_cost(self) -> Decimal:
        return self.video_model.cost_for(self.duration)


class Presence(models.Model):
    """Who has a storyboard open: refreshed by each live-update request of their page."""

    storyboard = models.ForeignKey(Storyboard, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["storyboard", "user"], name="one_presence_per_viewer")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.storyboard} at {self.last_seen:%H:%M:%S}"
