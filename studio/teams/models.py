from uuid import uuid4

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class Action(models.TextChoices):
    VIEW = "view", "View"
    REVIEW = "review", "Comment and approve"
    EDIT = "edit", "Edit"
    GENERATE = "generate", "Generate takes"
    MANAGE = "manage", "Manage members and budgets"


# What each role may do: the one table every view consults (and the README repeats).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.REVIEWER: frozenset({Action.VIEW, Action.REVIEW}),
    Role.EDITOR: frozenset({Action.VIEW, Action.REVIEW, Action.EDIT, Action.GENERATE}),
    Role.OWNER: frozenset(Action.values),
}


class TeamScopedQuerySet(models.QuerySet):
    """Objects that belong to a team through `team_path`: what a user may see at all."""

    team_path: str

    def for_user(self, user):
        return self.filter(**{f"{self.team_path}__memberships__user": user})


class Team(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    is_personal = models.BooleanField(default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    def allows(self, action: str) -> bool:
        return action in ROLE_ACTIONS[self.role]
