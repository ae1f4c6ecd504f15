"""A storyboard's version: a short string that changes whenever anything its page or a live
answer draws changes, so that drawn fragments can be cached under it and never invalidated by
hand (a write anywhere, by any process, moves it; nothing has to remember to).

Three queries, however many shots, takes, decisions and comments there are: one row of
aggregates (each a subquery on the storyboard's shots: counts, the latest timestamps and
primary keys), the kit's elements and the catalog's prices. Max() of a timestamp or of a
primary key reads the same through joins, and every Count() is distinct, so rows multiplied
by a join count once.

The review tables sit above projects in the import layers: they are reached through the
shots' relation names (takes__review_decisions, ...) rather than imported."""

import hashlib
from datetime import datetime

from django.db.models import Aggregate, Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from studio.brands.models import Element
from studio.catalog.models import VideoModel
from studio.teams.models import Membership, Role

from .models import Shot, Storyboard

DECISIONS = "takes__review_decisions"
COMMENTS = "takes__review_comments"


def _of_shots(aggregate: Aggregate) -> Subquery:
    """`aggregate` over the storyboard's shots, deleted ones included (a deletion, an undo and
    a renumbering all set updated_at; a shot removed for good lowers the count)."""
    shots = Shot.all_objects.filter(storyboard=OuterRef("pk")).order_by()
    return Subquery(shots.values("storyboard").annotate(value=aggregate).values("value"))


def _of_members(aggregate: Aggregate) -> Subquery:
    members = Membership.objects.filter(team=OuterRef("project__team")).order_by()
    return Subquery(members.values("team").annotate(value=aggregate).values("value"))


def _aggregates(now: datetime) -> dict:
    # A take's updated_at moves with its status, and with every decision and comment on it
    # (studio.review.services touches it); the review tables are counted too. A decision is
    # never edited, but what it counts for changes without a write to it: a guest's counts
    # while their link is live (revoked or expired, it stops), and a deleted account's stays
    # superseded (decided_by becomes null). Comments are added, and resolved or reopened; a
    # drawing comes with its comment.
    live_guest = (
        Q(**{f"{DECISIONS}__share_link__revoked_at__isnull": True})
        & Q(**{f"{DECISIONS}__share_link__expires_at__gt": now})
        & ~Q(**{f"{DECISIONS}__guest_name": ""})
    )
    no_one = {"decided_by__isnull": True, "guest_name": ""}
    return {
        "shot_count": _of_shots(Count("pk", distinct=True)),
        "shot_last": _of_shots(Max("updated_at")),
        "take_count": _of_shots(Count("takes", distinct=True)),
        "take_last": _of_shots(Max("takes__updated_at")),
        "decision_count": _of_shots(Count(DECISIONS, distinct=True)),
        "decision_last": _of_shots(Max(f"{DECISIONS}__pk")),
        "decisions_of_no_one": _of_shots(
            Count(
                DECISIONS,
                distinct=True,
                filter=Q(**{f"{DECISIONS}__{k}": v for k, v in no_one.items()}),
            )
        ),
        "decisions_of_live_guests": _of_shots(Count(DECISIONS, distinct=True, filter=live_guest)),
        "comment_count": _of_shots(Count(COMMENTS, distinct=True)),
        "comment_last": _of_shots(Max(f"{COMMENTS}__pk")),
        "comments_resolved": _of_shots(
            Count(COMMENTS, distinct=True, filter=Q(**{f"{COMMENTS}__resolved": True}))
        ),
        "comment_resolved_last": _of_shots(Max(f"{COMMENTS}__resolved_at")),
        "comments_of_no_one": _of_shots(
            Count(
                COMMENTS,
                distinct=True,
                filter=Q(**{f"{COMMENTS}__author__isnull": True, f"{COMMENTS}__guest_name": ""}),
            )
        ),
        # An owner's decision weighs more under some review rules; a role changed is no new
        # row; the rights of each member are in the cache keys beside the version.
        "member_count": _of_members(Count("pk")),
        "member_last": _of_members(Max("pk")),
        **{f"role_{role}": _of_members(Count("pk", filter=Q(role=role))) for role in Role.values},
    }


def _row(storyboard: Storyboard, now: datetime) -> dict:
    # The titles in the page's head, the team's review rule, and the project's brand kit: its
    # style line changes the prompt as sent and the Generate button (updated_at covers it).
    aggregates = _aggregates(now)
    return dict(
        Storyboard.objects.filter(pk=storyboard.pk)
        .annotate(**aggregates)
        .values(
            "title",
            "project__name",
            "project__team__review_rule",
            "project__brand_kit_id",
            "project__brand_kit__updated_at",
            *aggregates,
        )
        .get()
    )


def _elements(kit_id: int | None) -> list:
    # An element edited keeps its row and has no timestamp: its text is read (a kit holds a
    # handful), since @name expands into every prompt as sent.
    rows = Element.objects.filter(kit_id=kit_id).order_by("pk")
    return list(rows.values_list("name", "description"))


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
    row = _row(storyboard, now or timezone.now())
    parts = [row, _elements(row["project__brand_kit_id"]), _prices()]
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()
