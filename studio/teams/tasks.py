from celery import shared_task

from . import services
from .models import Invitation


@shared_task
def send_invitation(invitation_id: int, link: str) -> None:
    invitation = (
        Invitation.objects.pending().select_related("team", "invited_by").filter(pk=invitation_id)
    ).first()
    if invitation is not None:  # revoked or answered meanwhile: nothing to send
        services.invitation_send(invitation=invitation, link=link)
