"""A brand kit's logo as a response: for the team's pages and for a share link's guest alike."""

from django.http import FileResponse, Http404

from .models import BrandKit, LogoType

# A stored SVG is a document that could run script if opened on its own (logos.py refused any
# at upload): served with a policy that allows none, and never sniffed as anything else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def logo_response(kit: BrandKit | None) -> FileResponse:
    if kit is None or not kit.logo:
        raise Http404("This brand kit has no logo.")
    response = FileResponse(kit.logo.open("rb"), content_type=kit.logo_content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    if kit.logo_type == LogoType.SVG:
        response["Content-Security-Policy"] = SVG_POLICY
    return response
