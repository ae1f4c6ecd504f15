from django.conf import settings
from django.http import HttpRequest


def studio(request: HttpRequest) -> dict:
    return {"gateway_simulated": settings.AIGATEWAY_SIMULATED}
