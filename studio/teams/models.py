import secrets
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

# How long an emailed invitation link stays valid.
INVITATION_LIFETIME = timedelta(days=14)


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


class ReviewRule(models.TextChoices):
    """How a take's or a playlist's state follows from its reviewers' own decisions (see
    studio/review/decisions.py, which applies it)."""

    ALL_MUST_APPROVE = (
        "all_must_approve",
        "Everyone who reviews must approve (one objection holds it)",
    )
    OWNER_FINAL = "owner_final", "An owner's approval is final"


class TeamScopedQuerySet(models.QuerySet):
    """Objects that belong to a team through `team_path`: what a user may see at all."""

    team_path: str

    def for_user(self, user):
        return self.filter(**{f"{self.team_path}__memberships__user": user})

    def with_role(self, user):
        """for_user, each with the user's role on its team as `member_role`: the annotation
        after the filter reuses its join to the user's membership, so it costs no query."""
        return self.for_user(user).annotate(member_role=F(f"{self.team_path}__memberships__role"))


class Team(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    is_personal = models.BooleanField(default=False)
    review_rule = models.CharField(
        max_length=20, choices=ReviewRule.choices, default=ReviewRule.ALL_MUST_APPROVE
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
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


def invitation_token() -> str:
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + INVITATION_LIFETIME


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        )

    def addressed_to(self, user):
        """The invitations `user` may answer in the studio, without the link: those by their
        username only. Account addresses are never verified, so one invited by email is answered
        only with its link (see `Invitation.answerable_by`)."""
        return self.filter(username=user.get_username()).exclude(username="")


class Invitation(models.Model):
    """An invitation to join a team, by email address or by username. Nobody joins until the
    invited person accepts: by username, that account (in the studio or by the link); by email,
    whoever holds the link, logged in or signing up with it. Any user owns a team and so may
    invite anyone.
    """

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    # One of the two: who the invitation is for.
    email = models.EmailField(blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    # The secret in the link; the owner's page shows the link again, so it is kept as is.
    token = models.CharField(max_length=64, unique=True, default=invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email="", username__gt="") | models.Q(email__gt="", username=""),
                name="invitation_by_email_or_username",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} to {self.team} ({self.role})"

    def get_absolute_url(self) -> str:
        return reverse("invitation_accept", args=[self.token])

    @property
    def recipient(self) -> str:
        return self.email or self.username

    def answerable_by(self, user, *, token: str = "") -> bool:
        """By username: only that account. By email: whoever holds the link (its token), since
        anyone may put any address on an account: only the token reached the mailbox."""
        if self.username:
            return user.get_username() == self.username
        return bool(token) and secrets.compare_digest(token, self.token)

    @property
    def status(self) -> str:
        """Why a link no longer works, or "pending"."""
        if self.revoked_at:
            return "revoked"
        if self.declined_at:
            return "declined"
        if self.accepted_at:
            return "accepted"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
