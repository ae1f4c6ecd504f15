"""A storyboard's version: a short string that changes whenever anything its page or a live
answer draws changes, so that drawn fragments can be cached under it and never invalidated by
hand (a write anywhere, by any process, moves it; nothing has to remember to).

Computed by aggregates in a fixed number of queries (seven), however many shots, takes,
decisions and comments there are. Max() of a timestamp or of a primary key reads the same
through joins, and every Count() is distinct, so rows multiplied by a join count once.

The review tables sit above projects in the import layers: they are reached through the
shots' relation names (takes__review_decisions, ...) rather than imported."""

import hashlib
from datetime import datetime

from django.db.models import Count, Max, Q
from django.utils import timezone

from studio.brands.models import Element
from studio.catalog.models import VideoModel
from studio.teams.models import Membership, Role

from .models import Shot, Storyboard

DECISIONS = "takes__review_decisions"
COMMENTS = "takes__review_comments"


def _shots_and_takes(storyboard: Storyboard) -> dict:
    # Deleted shots included: a deletion, an undo and a renumbering all set updated_at, and a
    # shot removed for good lowers the count. A take's updated_at moves with its status, and
    # with every decision and comment on it (studio.review.services touches it).
    return Shot.all_objects.filter(storyboard=storyboard).aggregate(
        shot_count=Count("pk", distinct=True),
        shot_last=Max("updated_at"),
        take_count=Count("takes", distinct=True),
        take_last=Max("takes__updated_at"),
    )


def _decisions(storyboard: Storyboard, now: datetime) -> dict:
    # A decision is never edited, but what it counts for changes without a write to it: a
    # guest's counts while their link is live (revoked or expired, it stops), and a deleted
    # account's stays superseded (decided_by becomes null).
    live_link = (
        Q(**{f"{DECISIONS}__share_link__revoked_at__isnull": True})
        & Q(**{f"{DECISIONS}__share_link__expires_at__gt": now})
        & ~Q(**{f"{DECISIONS}__guest_name": ""})
    )
    return Shot.all_objects.filter(storyboard=storyboard).aggregate(
        decision_count=Count(DECISIONS, distinct=True),
        decision_last=Max(f"{DECISIONS}__pk"),
        decisions_anonymous=Count(
            DECISIONS,
            distinct=True,
            filter=Q(**{f"{DECISIONS}__decided_by__isnull": True, f"{DECISIONS}__guest_name": ""}),
        ),
        decisions_by_live_guests=Count(DECISIONS, distinct=True, filter=live_link),
    )


def _comments(storyboard: Storyboard) -> dict:
    # Comments are added and resolved (or reopened); a drawing comes with its comment.
    return Shot.all_objects.filter(storyboard=storyboard).aggregate(
        comment_count=Count(COMMENTS, distinct=True),
        comment_last=Max(f"{COMMENTS}__pk"),
        comments_resolved=Count(
            COMMENTS, distinct=True, filter=Q(**{f"{COMMENTS}__resolved": True})
        ),
        comment_resolved_last=Max(f"{COMMENTS}__resolved_at"),
        comments_anonymous=Count(
            COMMENTS,
            distinct=True,
            filter=Q(**{f"{COMMENTS}__author__isnull": True, f"{COMMENTS}__guest_name": ""}),
        ),
    )


def _project(storyboard: Storyboard) -> dict:
    # The titles in the page's head, the team's review rule, and the project's brand kit: its
    # style line changes the prompt as sent and the Generate button (updated_at covers it).
    return dict(
        Storyboard.objects.filter(pk=storyboard.pk)
        .values(
            "title",
            "project__name",
            "project__team_id",
            "project__team__review_rule",
            "project__brand_kit_id",
            "project__brand_kit__updated_at",
        )
        .get()
    )


def _members(team_id: int) -> dict:
    # An owner's decision weighs more under some review rules; a role changed is no new row.
    return Membership.objects.filter(team_id=team_id).aggregate(
        member_count=Count("pk"),
        member_last=Max("pk"),
        **{f"role_{role}": Count("pk", filter=Q(role=role)) for role in Role.values},
    )


def _elements(kit_id: int | None) -> list:
    # An element edited keeps its row and has no timestamp: its text is read (a kit holds a
    # handful), since @name expands into every prompt as sent.
    return list(
        Element.objects.filter(kit_id=kit_id).order_by("pk").values_list("name", "description")
    )


def _prices() -> list:
    # Every card shows its estimated cost from its model's price; the catalog is a few rows.
    return list(
        VideoModel.objects.order_by("pk").values_list(
            "pk", "name", "price_per_second", "typical_render_seconds"
        )
    )


def storyboard_version(storyboard: Storyboard, *, now: datetime | None = None) -> str:
    """A short string that differs whenever the storyboard's page or live answer draws
    something different (who is present aside: that is drawn per request); `now` decides
    which guests' links are still live."""
    now = now or timezone.now()
    project = _project(storyboard)
    parts = [
        _shots_and_takes(storyboard),
        _decisions(storyboard, now),
        _comments(storyboard),
        project,
        _members(project["project__team_id"]),
        _elements(project["project__brand_kit_id"]),
        _prices(),
    ]
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()
