from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import team_ensure_personal


@receiver(user_logged_in, dispatch_uid="teams.personal_team_on_first_login")
def create_personal_team(sender, request, user, **kwargs) -> None:
    team_ensure_personal(user=user)
