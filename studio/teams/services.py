from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .models import Membership, Role, Team


@transaction.atomic
def team_ensure_personal(*, user: AbstractBaseUser) -> Team | None:
    """Give a user who belongs to no team a personal one, so the studio is usable at once."""
    if Membership.objects.filter(user=user).exists():
        return None
    team = Team.objects.create(name=f"{user.get_username()}'s studio", is_personal=True)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team


def require_action(*, user: AbstractBaseUser, team: Team, action: str) -> Membership:
    """The one permission check: 403 when the user's role on the team does not allow it.

    Callers have already scoped the object to the user's teams (an outsider got 404 there).
    """
    membership = Membership.objects.filter(user=user, team=team).first()
    if membership is None or not membership.allows(action):
        raise PermissionDenied(f"Your role on {team} does not allow this.")
    return membership
