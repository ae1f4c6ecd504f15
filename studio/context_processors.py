from django.conf import settings
from django.http import HttpRequest

from studio.generation.services import active_pauses


def studio(request: HttpRequest) -> dict:
    # A callable: templates call it only where they show the banner (full pages, not fragments).
    return {"gateway_simulated": settings.AIGATEWAY_SIMULATED, "submit_pauses": active_pauses}
