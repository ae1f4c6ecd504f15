from django.http import HttpRequest
from django.utils.functional import cached_property

from . import services
from .models import Membership


class TeamSwitcher:
    """The topbar's team switcher, read lazily: fragments that do not show it cost no query,
    and pages that do share the one query with the view (see services.user_memberships)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def memberships(self) -> list[Membership]:
        return services.user_memberships(self.request)

    @cached_property
    def current(self) -> Membership | None:
        return services.current_membership(self.request)


def teams(request: HttpRequest) -> dict:
    return {"team_switcher": TeamSwitcher(request)}
