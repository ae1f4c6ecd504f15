"""A brand kit's logo as a response: for the team's pages and for a share link's guest alike."""

from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase

from studio.object_storage import is_object_storage
from studio.ranges import store_redirect

from .models import BrandKit, LogoType

# A stored SVG is a document that could run script if opened on its own (logos.py refused any
# at upload): served with a policy that allows none, and never sniffed as anything else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def logo_response(kit: BrandKit | None) -> HttpResponseBase:
    if kit is None or not kit.logo:
        raise Http404("This brand kit has no logo.")
    if is_object_storage(kit.logo.storage):
        # The store cannot add our policy header, so an SVG comes as a download: an <img> shows
        # it all the same, and opened on its own it is saved, never run as a page.
        name = kit.logo.name or ""
        attachment = name.rsplit("/", 1)[-1] if kit.logo_type == LogoType.SVG else None
        return store_redirect(
            kit.logo.storage, name, content_type=kit.logo_content_type, attachment=attachment
        )
    response = FileResponse(kit.logo.open("rb"), content_type=kit.logo_content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    if kit.logo_type == LogoType.SVG:
        response["Content-Security-Policy"] = SVG_POLICY
    return response
