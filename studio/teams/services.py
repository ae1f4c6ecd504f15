import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Action, Invitation, Membership, ReviewRule, Role, Team

logger = logging.getLogger(__name__)

# Where the session keeps the team the user is working in (its uuid, as a string).
CURRENT_TEAM_SESSION_KEY = "current_team"

UNDELIVERED_MAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


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


@transaction.atomic
def team_invite(*, user: User, team: Team, who: str, role: str) -> Invitation:
    """`user` invites someone by username or email: always a pending Invitation, never a
    membership. Everyone owns a team and so may invite anyone; nobody joins one without
    accepting, and the answer is the same whether or not an account exists.

    Raises ValidationError with a message for the person inviting.
    """
    require_action(user=user, team=team, action=Action.MANAGE)
    if role not in Role.values:
        raise ValidationError("Choose one of the roles.")
    who = who.strip()
    field = "email" if "@" in who else "username"
    if field == "username":
        # The member list shows usernames already: saying so reveals nothing.
        existing = team.memberships.filter(user__username=who).first()
        if existing is not None:
            raise ValidationError(
                f"{who} is already in {team} ({existing.get_role_display()}); "
                "change their role in the member list instead."
            )
    if team.invitations.pending().filter(**{f"{field}__iexact": who}).exists():
        raise ValidationError(
            f"{who} already has a pending invitation to {team}; revoke it first to send a new one."
        )
    return Invitation.objects.create(team=team, role=role, invited_by=user, **{field: who})


def team_set_review_rule(*, user: User, team: Team, rule: str) -> Team:
    """Owners choose how the team's reviewers' decisions make a take's or playlist's state."""
    require_action(user=user, team=team, action=Action.MANAGE)
    if rule not in ReviewRule.values:
        raise ValidationError("Choose one of the review rules.")
    team.review_rule = rule
    team.save(update_fields=["review_rule"])
    return team


def mail_is_delivered() -> bool:
    """Whether mail leaves the studio: the console and dummy backends (no SMTP_HOST, see
    settings) deliver nothing, so nobody should be told an invitation was sent."""
    backend = settings.MAILERS["default"]["BACKEND"]
    return backend not in UNDELIVERED_MAIL_BACKENDS


def _mail_address(invitation: Invitation) -> str:
    """The invited address, or the address of the account invited by username (if any)."""
    if invitation.email:
        return invitation.email
    User = get_user_model()
    account = User.objects.filter(**{User.USERNAME_FIELD: invitation.username}).first()
    return account.email if account else ""


def invitation_send(*, invitation: Invitation, link: str) -> bool:
    """Email the link; False when it could not be sent or there is nowhere to send it (an
    account invited by username sees the invitation on its Teams page anyway). A mail server
    that is down loses nothing: the owner's page shows the same link to copy, so the failure
    is logged, not raised."""
    address = _mail_address(invitation)
    if not address:
        return False
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "Someone"
    try:
        send_mail(
            subject=f"{inviter} invited you to {invitation.team} on Veo Studio",
            message=(
                f"{inviter} invited you to join {invitation.team} on Veo Studio as "
                f"{invitation.get_role_display().lower()}.\n\n"
                f"Accept or decline the invitation here (log in, or create your account):\n"
                f"{link}\n\n"
                f"The link works until {invitation.expires_at:%d %B %Y}."
            ),
            from_email=None,
            recipient_list=[address],
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send the invitation to %s", address)
        return False
    return True


def invitations_for(*, user: User) -> list[Invitation]:
    """The pending invitations the user may accept or decline, for their Teams page."""
    return list(
        Invitation.objects.pending().addressed_to(user).select_related("team", "invited_by")
    )


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
        raise ValidationError(f"{invitation.recipient} has already accepted this invitation.")


def _check_answerable(invitation: Invitation, user: User, token: str) -> None:
    if invitation.answerable_by(user, token=token):
        return
    if invitation.username:
        raise ValidationError(
            f"This invitation is for another account ({invitation.recipient}): "
            "log in as that account to accept it."
        )
    raise ValidationError("An invitation by email is answered with the link in its email.")


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, token: str = "") -> Membership:
    """The invited account (by username), or whoever holds the link (`token`, by email), joins
    the team with the invitation's role. The invitation works once: the conditional update
    makes two clicks produce one membership."""
    _check_answerable(invitation, user, token)
    existing = Membership.objects.filter(team=invitation.team, user=user).first()
    if existing is not None:
        raise ValidationError(
            f"You are already in {invitation.team} ({existing.get_role_display()})."
        )
    _answer(invitation, accepted_at=timezone.now(), accepted_by=user)
    try:
        # Two invitations to one person (by email and by username) accepted at once both pass
        # the check above; the second insert meets the unique constraint. The savepoint keeps
        # the transaction usable, and the error rolls this accept back: its link still works.
        with transaction.atomic():
            return Membership.objects.create(team=invitation.team, user=user, role=invitation.role)
    except IntegrityError:
        raise ValidationError(f"You are already in {invitation.team}.") from None


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User, token: str = "") -> None:
    """The invited person says no: the invitation stops working and nobody joins."""
    _check_answerable(invitation, user, token)
    _answer(invitation, declined_at=timezone.now())


def _answer(invitation: Invitation, **fields) -> None:
    # Conditional, so an accept racing a decline or a revoke answers the invitation once.
    updated = Invitation.objects.pending().filter(pk=invitation.pk).update(**fields)
    if not updated:
        invitation.refresh_from_db()
        raise ValidationError(f"This invitation can no longer be used: it is {invitation.status}.")


@transaction.atomic
def invitation_signup(
    *, invitation: Invitation, token: str, username: str, email: str, password: str
) -> User:
    """Create the account of someone holding an email invitation's link and join them, in one
    transaction: an invitation used up in between leaves no stray account behind."""
    if not invitation.email:
        # Invited by username: whoever signs up with that name is not the person invited.
        raise ValidationError("This invitation is for an existing account: log in to accept it.")
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        # Told only to whoever typed the address, never on the page the link opens.
        raise ValidationError(
            {
                "email": "This address cannot be used for a new account. Choose another address "
                "or log in."
            }
        )
    user = User.objects.create_user(username=username, email=email, password=password)
    invitation_accept(invitation=invitation, user=user, token=token)
    return user
