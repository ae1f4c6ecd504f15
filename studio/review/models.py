"""Review: decisions and comments on takes and playlists, and share links for people outside
the team. A decision or a comment belongs to exactly one take or one playlist; a share link to
exactly one storyboard or one playlist (check constraints say so)."""

import json
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.generation.models import Take
from studio.playlists.models import Playlist, PlaylistItem
from studio.projects.models import Project, Storyboard
from studio.teams.models import Membership, Role

SHARE_SALT = "studio.review.share-link"
COMMENT_MAX_LENGTH = 2000
GUEST_NAME_MAX_LENGTH = 80


class ReviewState(models.TextChoices):
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"


class EitherTeamScopedQuerySet(models.QuerySet):
    """Rows that hang off one of two objects, each reaching its team by its own path."""

    team_paths: tuple[str, str]

    def for_user(self, user):
        first, second = self.team_paths
        return self.filter(
            Q(**{f"{first}__memberships__user": user}) | Q(**{f"{second}__memberships__user": user})
        )


class DecisionQuerySet(EitherTeamScopedQuerySet):
    team_paths = ("take__shot__storyboard__project__team", "playlist__project__team")

    def with_rule(self) -> "DecisionQuerySet":
        """With what deriving a state needs (studio/review/decisions.py), in the same query:
        the team's review rule, whether the decider owns the team now, and a guest's link
        (whether it is still live)."""
        first, second = self.team_paths
        return self.select_related("decided_by", "share_link").annotate(
            team_pk=Coalesce(F(f"{first}_id"), F(f"{second}_id")),
            team_rule=Coalesce(F(f"{first}__review_rule"), F(f"{second}__review_rule")),
            by_owner=Exists(
                Membership.objects.filter(
                    team_id=OuterRef("team_pk"), user_id=OuterRef("decided_by_id"), role=Role.OWNER
                )
            ),
        )


class Decision(models.Model):
    """One reviewer's decision. Every decision is kept: each reviewer's latest is their current
    one, and the object's state follows from those by the team's rule (decisions.py)."""

    take = models.ForeignKey(
        Take, on_delete=models.CASCADE, null=True, blank=True, related_name="review_decisions"
    )
    playlist = models.ForeignKey(
        Playlist, on_delete=models.CASCADE, null=True, blank=True, related_name="review_decisions"
    )
    state = models.CharField(max_length=20, choices=ReviewState.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A reviewer through a share link has no account: the name they gave, and the link.
    guest_name = models.CharField(max_length=GUEST_NAME_MAX_LENGTH, blank=True)
    share_link = models.ForeignKey(
        "ShareLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    # Set by DecisionQuerySet.with_rule(), through which every reading of a state goes.
    team_rule: str
    by_owner: bool

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(take__isnull=False, playlist__isnull=True)
                | Q(take__isnull=True, playlist__isnull=False),
                name="decision_on_a_take_or_a_playlist",
            )
        ]
        indexes = [
            # The latest decision: WHERE take_id = ? (or playlist_id) ORDER BY decided_at DESC.
            models.Index(fields=["take", "-decided_at"], name="decision_take_latest"),
            models.Index(fields=["playlist", "-decided_at"], name="decision_playlist_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} by {self.decider_name}"

    @property
    def counts(self) -> bool:
        """A guest's decision counts while their link is live: revoking the link (or its
        expiry) clears it. Read `with_rule`, which loads the link in the same query."""
        if not self.guest_name:
            return True
        return self.share_link is not None and self.share_link.is_live

    @property
    def decider_name(self) -> str:
        if self.guest_name:
            return f"{self.guest_name} (guest)"
        return self.decided_by.get_username() if self.decided_by else "someone"


class CommentQuerySet(EitherTeamScopedQuerySet):
    team_paths = ("take__shot__storyboard__project__team", "playlist__project__team")

    def open(self) -> "CommentQuerySet":
        return self.filter(resolved=False)


class Comment(models.Model):
    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    take = models.ForeignKey(
        Take, on_delete=models.CASCADE, null=True, blank=True, related_name="review_comments"
    )
    playlist = models.ForeignKey(
        Playlist, on_delete=models.CASCADE, null=True, blank=True, related_name="review_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guest_name = models.CharField(max_length=GUEST_NAME_MAX_LENGTH, blank=True)
    share_link = models.ForeignKey(
        "ShareLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    # Pinned to a moment of the take, or of the playlist played back to back.
    at_seconds = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    # On a playlist, what was on screen at that moment, kept in words too: the item may be
    # removed or moved later, and the comment should still say what the reviewer saw.
    item = models.ForeignKey(
        PlaylistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    item_label = models.CharField(max_length=80, blank=True)
    # A drawing on the frame at at_seconds, as vector data (studio/review/annotations.py); an
    # empty list is no drawing.
    annotation = models.JSONField(default=list, blank=True)
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(take__isnull=False, playlist__isnull=True)
                | Q(take__isnull=True, playlist__isnull=False),
                name="comment_on_a_take_or_a_playlist",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"

    @property
    def author_name(self) -> str:
        if self.guest_name:
            return f"{self.guest_name} (guest)"
        return self.author.get_username() if self.author else "someone"

    @property
    def is_pinned(self) -> bool:
        return self.at_seconds is not None

    @property
    def seek_seconds(self) -> float:
        """For the player's data attribute: a plain number, never a localised one."""
        return float(self.at_seconds or Decimal("0"))

    @property
    def annotation_json(self) -> str:
        """For the pin's data attribute, which static/js/annotate.js draws over the video."""
        return json.dumps(self.annotation, separators=(",", ":"))


class ShareLinkQuerySet(EitherTeamScopedQuerySet):
    team_paths = ("storyboard__project__team", "playlist__project__team")


class ShareLink(models.Model):
    """A read-only door for people outside the team: one storyboard or one playlist, until it
    expires or is revoked. The token is signed and names the link and its object, so a token
    for one object never opens another, and a changed token opens nothing."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    storyboard = models.ForeignKey(
        Storyboard, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    playlist = models.ForeignKey(
        Playlist, on_delete=models.CASCADE, null=True, blank=True, related_name="share_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(storyboard__isnull=False, playlist__isnull=True)
                | Q(storyboard__isnull=True, playlist__isnull=False),
                name="share_link_to_a_storyboard_or_a_playlist",
            )
        ]

    def __str__(self) -> str:
        return f"Link to {self.kind} {self.target}"

    @property
    def kind(self) -> str:
        return "playlist" if self.playlist_id else "storyboard"

    @property
    def target(self) -> Storyboard | Playlist:
        return self.playlist if self.playlist_id else self.storyboard  # type: ignore[return-value]

    @property
    def project(self) -> Project:
        return self.target.project

    @property
    def token(self) -> str:
        # Signed without a timestamp: the same link always shows the same URL to copy; expiry
        # lives in the database, where it can be checked and revoked.
        return signing.Signer(salt=SHARE_SALT).sign_object(self.token_payload())

    def token_payload(self) -> dict:
        return {"link": self.uuid.hex, "kind": self.kind, "target": self.target.uuid.hex}

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_live(self) -> bool:
        return not self.is_revoked and not self.is_expired()

    @property
    def status_label(self) -> str:
        if self.is_revoked:
            return "Revoked"
        return "Expired" if self.is_expired() else "Active"
