from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from studio.generation.pauses import active_pauses
from studio.generation.services import submissions_may_resume


def previous_page(request: HttpRequest) -> str:
    """The page the user came from, for the error pages' way back: only one of this site (a
    Referer is the client's to forge, and a link elsewhere would be an open redirect), and
    never the page that failed itself."""
    referrer = request.headers.get("Referer", "")
    if referrer == request.build_absolute_uri():
        return ""
    safe = url_has_allowed_host_and_scheme(
        referrer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referrer if safe else ""


def studio(request: HttpRequest) -> dict:
    # Callables: templates call them only where they show the banner (full pages, not
    # fragments), and the second only while something is paused; the error pages alone
    # read the previous page.
    return {
        "gateway_simulated": settings.AIGATEWAY_SIMULATED,
        "submit_pauses": active_pauses,
        "may_resume_submissions": lambda: submissions_may_resume(user=request.user),
        "previous_page": lambda: previous_page(request),
    }
