"""Review: decisions and comments on takes and playlists, and share links. Team members act
as themselves (their role must allow reviewing); people outside the team act as a `Guest`
through a live share link that covers the object, and may comment and decide, nothing else.
Every change writes its line in the project's activity log, in the same transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Playlist, PlaylistItem
from studio.playlists.timeline import item_label, playlist_item_at
from studio.projects.models import Project, Storyboard
from studio.teams.models import Action, Membership
from studio.teams.services import require_action

from .annotations import annotation_clean
from .decisions import Review, key_of
from .models import (
    COMMENT_MAX_LENGTH,
    GUEST_NAME_MAX_LENGTH,
    SHARE_SALT,
    Comment,
    Decision,
    ReviewState,
    ShareLink,
)

SHARE_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class Guest:
    """Someone outside the team, through a share link: the name they gave."""

    name: str
    link: ShareLink


type Reviewable = Take | Playlist


# Describing objects


def _project(target: Reviewable | Storyboard) -> Project:
    if isinstance(target, Take):
        return target.shot.storyboard.project
    return target.project


def _storyboard(target: Reviewable | Storyboard) -> Storyboard | None:
    if isinstance(target, Take):
        return target.shot.storyboard
    return target if isinstance(target, Storyboard) else None


def describe(target: Reviewable | Storyboard) -> str:
    if isinstance(target, Take):
        shot = target.shot
        return f"take {target.take_number} of shot {shot.position} in {shot.storyboard.title}"
    if isinstance(target, Playlist):
        return f"playlist {target.name}"
    return f"storyboard {target.title}"


def _take(target: Reviewable) -> Take | None:
    """For the activity line: it keeps the take's shot, so the log can say "(now shot N)"
    once shots are renumbered."""
    return target if isinstance(target, Take) else None


def _target_fields(target: Reviewable) -> dict:
    return {"take": target} if isinstance(target, Take) else {"playlist": target}


# Who may


def guest_name_clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give your name, so the team knows who is commenting.")
    if len(name) > GUEST_NAME_MAX_LENGTH:
        raise ValidationError(f"Keep your name to {GUEST_NAME_MAX_LENGTH} characters.")
    return name


def share_link_covers(link: ShareLink, target: Reviewable) -> bool:
    """What a link names, and nothing more: its playlist, or the takes of its storyboard."""
    if isinstance(target, Playlist):
        return link.playlist_id is not None and link.playlist_id == target.pk
    shot = target.shot
    return (
        link.storyboard_id is not None
        and shot.storyboard_id == link.storyboard_id
        and shot.deleted_at is None  # a deleted shot's takes leave the shared storyboard
    )


def _require_review(*, user, guest: Guest | None, target: Reviewable) -> None:
    if guest is None:
        require_action(user=user, team=_project(target).team, action=Action.REVIEW)
        return
    if user is not None:
        raise ValueError("Act as a team member or as a guest, not both.")
    if not guest.link.is_live or not share_link_covers(guest.link, target):
        raise PermissionDenied("This link does not open that.")
    guest_name_clean(guest.name)


def _actor(user, guest: Guest | None) -> dict:
    if guest is not None:
        return {"actor": None, "actor_name": f"{guest.name} (guest)"}
    return {"actor": user}


def _who(user, guest: Guest | None) -> dict:
    if guest is not None:
        return {"guest_name": guest.name, "share_link": guest.link}
    return {}


def _touch(target: Reviewable) -> None:
    """A take's review shows on its card: mark the take changed, so the storyboard's live
    updates draw the card again for everyone on the page."""
    if isinstance(target, Take):
        Take.objects.filter(pk=target.pk).update(updated_at=timezone.now())


# Decisions


@transaction.atomic
def review_decide(*, target: Reviewable, state: str, user=None, guest: Guest | None = None):
    """Record the reviewer's decision: their latest is their current one (earlier ones are kept
    as history), and "in review" takes it back."""
    _require_review(user=user, guest=guest, target=target)
    if state not in ReviewState.values:
        raise ValidationError("Choose approve, request changes or reject.")
    if isinstance(target, Take) and target.status != TakeStatus.COMPLETED:
        raise ValidationError("Only a finished take can be reviewed.")
    decision = Decision.objects.create(
        **_target_fields(target), state=state, decided_by=user, **_who(user, guest)
    )
    state_label = ReviewState(state).label
    _touch(target)
    activity_record(
        project=_project(target),
        storyboard=_storyboard(target),
        verb=Verb.REVIEWED,
        subject=f"{describe(target)}: "
        + ("decision taken back" if state == ReviewState.IN_REVIEW else state_label.lower()),
        take=_take(target),
        **_actor(user, guest),
    )
    return decision


# Comments


def _pin(target: Reviewable, at_seconds: Decimal) -> tuple[PlaylistItem | None, str]:
    if at_seconds < 0:
        raise ValidationError("A time in the video is 0 seconds or more.")
    if isinstance(target, Take):
        length = target.video_duration or Decimal(target.duration)
        if at_seconds > length:
            raise ValidationError(f"Pin the comment within the take: 0 to {length:.1f} s.")
        return None, ""
    items = list(target.items.select_related("take__shot"))
    item, total = playlist_item_at(items, at_seconds)
    if item is None:
        raise ValidationError("Nothing plays yet: the playlist has no finished takes to pin to.")
    if at_seconds > total:
        raise ValidationError(f"Pin the comment within the playlist: 0 to {total:.1f} s.")
    return item, item_label(item)


@transaction.atomic
def comment_add(
    *,
    target: Reviewable,
    body: str,
    at_seconds: Decimal | None = None,
    annotation: object = None,
    user=None,
    guest: Guest | None = None,
) -> Comment:
    """A comment, pinned to a moment or not; a drawing (annotations.py's shapes, as decoded
    from the form) goes on a take's frame at the pinned moment."""
    _require_review(user=user, guest=guest, target=target)
    shapes = annotation_clean(annotation) if annotation else []
    if shapes and not isinstance(target, Take):
        raise ValidationError("Draw on a take's frame: a playlist's comments have no drawing.")
    if shapes and at_seconds is None:
        raise ValidationError("A drawing is on one frame: pause the video where it belongs.")
    body = body.strip()
    if not body:
        raise ValidationError("Write the comment first: it cannot be empty.")
    if len(body) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            f"Keep the comment to {COMMENT_MAX_LENGTH} characters ({len(body)} now)."
        )
    item, label = _pin(target, at_seconds) if at_seconds is not None else (None, "")
    comment = Comment.objects.create(
        **_target_fields(target),
        author=user,
        body=body,
        at_seconds=at_seconds,
        item=item,
        item_label=label,
        annotation=shapes,
        **_who(user, guest),
    )
    _touch(target)
    where = f" at {at_seconds:.1f} s" if at_seconds is not None else ""
    activity_record(
        project=_project(target),
        storyboard=_storyboard(target),
        verb=Verb.COMMENTED,
        subject=f"{describe(target)}{where}",
        take=_take(target),
        **_actor(user, guest),
    )
    return comment


def comment_target(comment: Comment) -> Reviewable:
    return comment.take if comment.take_id else comment.playlist  # type: ignore[return-value]


@transaction.atomic
def comment_resolve(*, user, comment: Comment, resolved: bool = True) -> Comment:
    """Team members who review close a comment once it is dealt with (or open it again)."""
    target = comment_target(comment)
    require_action(user=user, team=_project(target).team, action=Action.REVIEW)
    if comment.resolved == resolved:
        return comment
    comment.resolved = resolved
    comment.resolved_by = user if resolved else None
    comment.resolved_at = timezone.now() if resolved else None
    comment.save(update_fields=["resolved", "resolved_by", "resolved_at"])
    _touch(target)
    activity_record(
        project=_project(target),
        storyboard=_storyboard(target),
        verb=Verb.REVIEWED,
        subject=f"{comment.author_name}'s comment on {describe(target)}: "
        + ("resolved" if resolved else "reopened"),
        take=_take(target),
        actor=user,
    )
    return comment


# Share links


class ShareLinkInvalid(Exception):
    """Not a link of ours, changed, or naming another object: answered 404."""


class ShareLinkGone(Exception):
    """A real link that expired or was revoked: answered 410."""


@transaction.atomic
def share_link_create(*, user, target: Storyboard | Playlist, days: int) -> ShareLink:
    require_action(user=user, team=target.project.team, action=Action.EDIT)
    if days not in SHARE_DAYS:
        raise ValidationError("A link lasts 1, 7 or 30 days: choose one.")
    field_name = "playlist" if isinstance(target, Playlist) else "storyboard"
    link = ShareLink.objects.create(
        **{field_name: target},
        created_by=user,
        expires_at=timezone.now() + timedelta(days=days),
    )
    activity_record(
        project=target.project,
        storyboard=_storyboard(target),
        verb=Verb.SHARED,
        subject=f"{describe(target)} for {days} day{'s' if days != 1 else ''}",
        actor=user,
    )
    return link


@transaction.atomic
def share_link_revoke(*, user, link: ShareLink) -> ShareLink:
    require_action(user=user, team=link.project.team, action=Action.EDIT)
    now = timezone.now()
    # Conditional, so revoking twice (two tabs) writes one line, not two.
    if ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=user
    ):
        link.revoked_at, link.revoked_by = now, user
        activity_record(
            project=link.project,
            storyboard=_storyboard(link.target),
            verb=Verb.SHARED,
            subject=f"{describe(link.target)}: link revoked",
            actor=user,
        )
    return link


def share_link_open(token: str, *, now: datetime | None = None) -> ShareLink:
    """The live link a token stands for. Tampered or unknown tokens, and tokens whose object
    is not the link's, open nothing (404); expired and revoked links are gone (410)."""
    try:
        payload = signing.Signer(salt=SHARE_SALT).unsign_object(token)
        link_uuid = payload["link"]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise ShareLinkInvalid from None
    try:
        link = (
            ShareLink.objects.select_related("storyboard__project__team", "playlist__project__team")
            .filter(uuid=link_uuid)
            .first()
        )
    except ValidationError:
        raise ShareLinkInvalid from None
    if link is None or link.token_payload() != payload:
        raise ShareLinkInvalid
    if link.is_revoked:
        raise ShareLinkGone(f"This link was revoked on {link.revoked_at:%d %b %Y}.")
    if link.is_expired(now):
        raise ShareLinkGone(f"This link expired on {link.expires_at:%d %b %Y}.")
    return link


# Reading review state


def decisions_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}review_decisions",
        queryset=Decision.objects.with_rule(),
        to_attr="prefetched_decisions",
    )


def take_review_prefetches(prefix: str = "") -> list[Prefetch]:
    """What a take's review block shows, for a queryset of takes (or, with a prefix such as
    "take__", of things that hold takes): two queries however many takes there are."""
    return [
        decisions_prefetch(prefix),
        Prefetch(
            f"{prefix}review_comments",
            queryset=Comment.objects.select_related("author", "resolved_by", "share_link"),
            to_attr="prefetched_comments",
        ),
    ]


def review_of(target: Reviewable) -> Review:
    """From prefetched decisions and comments when there are some (no query), else two."""
    if hasattr(target, "prefetched_decisions"):
        assert hasattr(target, "prefetched_comments")  # take_review_prefetches() sets both
        return Review(list(target.prefetched_decisions), list(target.prefetched_comments))
    return Review(
        list(target.review_decisions.with_rule()),
        list(target.review_comments.select_related("author", "resolved_by", "share_link")),
    )


def playlist_reviews(playlists: Iterable[Playlist]) -> dict[int, Review]:
    """Each playlist's decisions (no comments), for a list of playlists: one query."""
    reviews = {playlist.pk: Review() for playlist in playlists}
    for decision in Decision.objects.with_rule().filter(playlist__in=list(reviews)):
        assert decision.playlist_id is not None  # filtered on it
        reviews[decision.playlist_id].decisions.append(decision)  # newest first, as ordered
    return reviews


@dataclass
class PendingDeciders:
    members: list[str]
    guests: list[str]

    def __bool__(self) -> bool:
        return bool(self.members or self.guests)


def playlist_pending_deciders(playlist: Playlist, review: Review) -> PendingDeciders:
    """Who still has to decide on the playlist: the team's members whose role reviews and who
    stand by no decision on it, and guests who commented on a link still live but stand by
    none: a guest is known as decisions know them, by link and name in any case (one query)."""
    decided_users = {d.decided_by_id for d in review.reviewers if d.decided_by_id}
    decided_guests = {
        key_of(link_id=d.share_link_id, guest_name=d.guest_name)
        for d in review.reviewers
        if d.guest_name
    }
    memberships = Membership.objects.filter(team=playlist.project.team).select_related("user")
    members = sorted(
        m.user.get_username()
        for m in memberships
        if m.allows(Action.REVIEW) and m.user_id not in decided_users
    )
    waiting = {
        key_of(link_id=c.share_link_id, guest_name=c.guest_name): c.guest_name
        for c in review.comments
        if c.guest_name and c.share_link is not None and c.share_link.is_live
    }
    guests = sorted({name for key, name in waiting.items() if key not in decided_guests})
    return PendingDeciders(members, guests)
