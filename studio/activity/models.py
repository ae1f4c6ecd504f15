from decimal import Decimal

from django.conf import settings
from django.db import models

from studio.teams.models import TeamScopedQuerySet


class Verb(models.TextChoices):
    CREATED = "created", "created"
    EDITED = "edited", "edited"
    REORDERED = "reordered", "reordered"
    DUPLICATED = "duplicated", "duplicated"
    DELETED = "deleted", "deleted"
    RESTORED = "restored", "restored"
    IMPORTED = "imported", "imported"
    GENERATED = "generated", "generated"
    CANCELLED = "cancelled", "cancelled"
    SELECTED = "selected", "selected"
    REVIEWED = "reviewed", "reviewed"
    COMMENTED = "commented", "commented on"
    SHARED = "shared", "shared"
    EXPORTED = "exported", "exported"
    ADDED = "added", "added"
    MOVED = "moved", "moved"
    TRIMMED = "trimmed", "trimmed"
    REMOVED = "removed", "removed"


class ActivityQuerySet(TeamScopedQuerySet):
    team_path = "project__team"

    def for_display(self) -> "ActivityQuerySet":
        """With what a line shows beside its words: its storyboard, the shot it names (now),
        and the take (whether its cost was ever charged)."""
        return self.select_related("storyboard", "shot__storyboard", "take")


class Activity(models.Model):
    """One line of a project's activity log: who did what to which object, and what it cost.

    The object is described in words (`subject`) rather than linked, so the log still reads
    right after the shot or take it names has been deleted. A line about a shot or a take also
    keeps the shot's number when it was written and the shot itself: shots are renumbered as
    they move, so the line says which shot that is now.
    """

    # Named, not imported: the log sits below every app that writes to it.
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="activities"
    )
    storyboard = models.ForeignKey(
        "projects.Storyboard", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A share-link reviewer has no account: the name they gave.
    actor_name = models.CharField(max_length=150)
    verb = models.CharField(max_length=16, choices=Verb.choices)
    subject = models.CharField(max_length=300)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    shot = models.ForeignKey(
        "projects.Shot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shot_number = models.PositiveIntegerField(null=True, blank=True)
    # A generated take's cost is what was reserved: shown only while it may be charged.
    take = models.ForeignKey(
        "generation.Take", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "activities"
        # The project log page: newest first, one project.
        indexes = [models.Index(fields=["project", "-created_at"], name="activity_project_recent")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_verb_display()} {self.subject}"

    @property
    def shot_renumbered(self) -> bool:
        return self.shot is not None and self.shot_number not in (None, self.shot.position)

    @property
    def shown_cost(self) -> Decimal | None:
        if self.take is not None and self.take.never_charged:
            return None
        return self.cost
