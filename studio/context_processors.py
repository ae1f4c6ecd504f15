from django.conf import settings
from django.http import HttpRequest

from studio.generation.services import active_pauses, submissions_may_resume


def studio(request: HttpRequest) -> dict:
    # Callables: templates call them only where they show the banner (full pages, not
    # fragments), and the second only while something is paused.
    return {
        "gateway_simulated": settings.AIGATEWAY_SIMULATED,
        "submit_pauses": active_pauses,
        "may_resume_submissions": lambda: submissions_may_resume(user=request.user),
    }
