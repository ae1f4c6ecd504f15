import logging
import smtplib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Action, Invitation, Membership, Role, Team

logger = logging.getLogger(__name__)

# Where the session keeps the team the user is working in (its uuid, as a string).
CURRENT_TEAM_SESSION_KEY = "current_team"


@transaction.atomic
def team_ensure_personal(*, user: User) -> Team | None:
    """Give a user who belongs to no team a personal one, so the studio is usable at once."""
    if Membership.objects.filter(user=user).exists():
        return None
    team = Team.objects.create(name=f"{user.get_username()}'s studio", is_personal=True)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team


def require_action(*, user: User, team: Team, action: str) -> Membership:
    """The one permission check: 403 when the user's role on the team does not allow it.

    Callers have already scoped the object to the user's teams (an outsider got 404 there).
    """
    membership = Membership.objects.filter(user=user, team=team).first()
    if membership is None or not membership.allows(action):
        raise PermissionDenied(f"Your role on {team} does not allow this.")
    return membership


# -- The teams a user works in, and the current one


def user_memberships(request: HttpRequest) -> list[Membership]:
    """The user's memberships with their teams, by team name: one query, kept on the request
    so the page, the dashboard and the topbar switcher share it."""
    cached = getattr(request, "_team_memberships", None)
    if cached is None:
        cached = []
        if request.user.is_authenticated:
            cached = list(
                Membership.objects.filter(user=request.user)
                .select_related("team")
                .order_by("team__name", "team__pk")
            )
        request._team_memberships = cached  # type: ignore[attr-defined]
    return cached


def membership_in(request: HttpRequest, team: Team | int) -> Membership | None:
    """The user's membership of `team` (a team or its id), from the request's one query."""
    team_id = getattr(team, "pk", team)
    return next((m for m in user_memberships(request) if m.team_id == team_id), None)


def user_can(request: HttpRequest, team: Team | int, action: str) -> bool:
    """What the page may offer: the role table, read once per request. Services check again
    with `require_action` when the action is taken."""
    membership = membership_in(request, team)
    return membership is not None and membership.allows(action)


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the team chosen in the switcher; the first team by name otherwise
    (nothing chosen yet, or the chosen team was left since)."""
    memberships = user_memberships(request)
    chosen = request.session.get(CURRENT_TEAM_SESSION_KEY)
    for membership in memberships:
        if str(membership.team.uuid) == chosen:
            return membership
    return memberships[0] if memberships else None


def team_remember(*, request: HttpRequest, team: Team) -> None:
    """Make `team` the current one for this session (the caller has checked membership)."""
    request.session[CURRENT_TEAM_SESSION_KEY] = str(team.uuid)


# -- Teams and members


@transaction.atomic
def team_create(*, user: User, name: str) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team


def _find_user(who: str) -> User | None:
    """The account `who` names (a username, or an email address), None for an unknown email."""
    User = get_user_model()
    if "@" in who:
        users = list(User.objects.filter(email__iexact=who)[:2])
        if len(users) > 1:
            raise ValidationError(
                f"Several accounts use {who}; invite the person by username instead."
            )
        return users[0] if users else None
    user = User.objects.filter(**{User.USERNAME_FIELD: who}).first()
    if user is None:
        raise ValidationError(
            f'No account has the username "{who}". Check the spelling, or invite them by email.'
        )
    return user


@transaction.atomic
def team_invite(*, user: User, team: Team, who: str, role: str) -> Membership | Invitation:
    """`user` invites by username or email. Someone with an account joins at once (a
    Membership); an email nobody has signed up with gets an Invitation whose link lets them
    sign up and join.

    Raises ValidationError with a message for the person inviting.
    """
    require_action(user=user, team=team, action=Action.MANAGE)
    who = who.strip()
    invitee = _find_user(who)
    if invitee is not None:
        existing = Membership.objects.filter(team=team, user=invitee).first()
        if existing is not None:
            raise ValidationError(
                f"{invitee.get_username()} is already in {team} ({existing.get_role_display()}); "
                "change their role in the member list instead."
            )
        return Membership.objects.create(team=team, user=invitee, role=role)
    if team.invitations.pending().filter(email__iexact=who).exists():
        raise ValidationError(
            f"{who} already has a pending invitation to {team}; revoke it first to send a new one."
        )
    return Invitation.objects.create(team=team, email=who, role=role, invited_by=user)


def invitation_send(*, invitation: Invitation, link: str) -> bool:
    """Email the link. A mail server that is down loses nothing: the owner's page shows the
    same link to copy, so the failure is logged and reported, not raised."""
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "Someone"
    try:
        send_mail(
            subject=f"{inviter} invited you to {invitation.team} on Veo Studio",
            message=(
                f"{inviter} invited you to join {invitation.team} on Veo Studio as "
                f"{invitation.get_role_display().lower()}.\n\n"
                f"Accept the invitation and create your account here:\n{link}\n\n"
                f"The link works until {invitation.expires_at:%d %B %Y}."
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send the invitation to %s", invitation.email)
        return False
    return True


def _lock_owners(team: Team) -> list[int]:
    # Two owners demoting each other at once must not leave the team without one: the owners'
    # rows are locked, so the second change sees the first (SQLite serialises writers anyway).
    return list(
        Membership.objects.select_for_update()
        .filter(team=team, role=Role.OWNER)
        .values_list("pk", flat=True)
    )


def _check_not_last_owner(membership: Membership, owners: list[int], doing: str) -> None:
    if owners == [membership.pk]:
        raise ValidationError(
            f"{membership.user.get_username()} is the last owner of {membership.team}: "
            f"make someone else owner before {doing}."
        )


@transaction.atomic
def membership_set_role(*, user: User, membership: Membership, role: str) -> Membership:
    require_action(user=user, team=membership.team, action=Action.MANAGE)
    if role not in Role.values:
        raise ValidationError("Choose one of the roles.")
    owners = _lock_owners(membership.team)
    current = Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).first()
    if current is None:
        raise ValidationError(f"{membership.user.get_username()} has left {membership.team}.")
    membership.role = current  # as of the lock, not of the page the owner looked at
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER:
        _check_not_last_owner(membership, owners, "changing their role")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, user: User, membership: Membership) -> None:
    require_action(user=user, team=membership.team, action=Action.MANAGE)
    owners = _lock_owners(membership.team)
    if membership.pk in owners:
        _check_not_last_owner(membership, owners, "removing them")
    membership.delete()


@transaction.atomic
def invitation_revoke(*, user: User, invitation: Invitation) -> None:
    require_action(user=user, team=invitation.team, action=Action.MANAGE)
    # Conditional, so a revoke racing an accept cannot undo a membership or hide it.
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    if not updated and invitation.accepted_at:
        raise ValidationError(f"{invitation.email} has already accepted this invitation.")


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the team with the invitation's role. The link works once: the conditional update
    makes two clicks (or two people) with the same link produce one membership."""
    existing = Membership.objects.filter(team=invitation.team, user=user).first()
    if existing is not None:
        raise ValidationError(
            f"You are already in {invitation.team} ({existing.get_role_display()})."
        )
    now = timezone.now()
    updated = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(accepted_at=now, accepted_by=user)
    if not updated:
        invitation.refresh_from_db()
        raise ValidationError(f"This invitation can no longer be used: it is {invitation.status}.")
    return Membership.objects.create(team=invitation.team, user=user, role=invitation.role)


@transaction.atomic
def invitation_signup(*, invitation: Invitation, username: str, password: str) -> User:
    """Create the account of someone invited by email and join them, in one transaction: an
    invitation used up in between leaves no stray account behind."""
    user = get_user_model().objects.create_user(
        username=username, email=invitation.email, password=password
    )
    invitation_accept(invitation=invitation, user=user)
    return user
