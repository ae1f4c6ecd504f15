from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from studio.access import get_delivery, get_playlist
from studio.htmx import AuthenticatedHttpRequest, refused
from studio.ranges import ranged_file_response
from studio.spreadsheet import csv_response
from studio.teams.models import Action
from studio.teams.services import user_can

from . import services, sheet
from .models import Delivery, DeliveryStatus
from .packing import CSV_NAME

PAGE = "deliveries/delivery_detail.html"


def progress_context(delivery: Delivery) -> dict:
    """The files with their exports and deliverables (one query), and the overall progress:
    the files' mean while they render, all but the last step while packing. A file whose
    deliverable was deleted has ended (with no export); Run again cannot bring it back."""
    files = list(delivery.files.select_related("export__playlist"))
    active = [file for file in files if file.export is not None and file.export.is_active]
    if delivery.status == DeliveryStatus.READY:
        overall = 100
    elif delivery.status == DeliveryStatus.PACKING:
        overall = 99
    else:
        progress = [f.export.progress if f in active and f.export else 100 for f in files]
        overall = min(sum(progress) // max(len(progress), 1), 98)
    failed = [file for file in files if file.is_failed]
    return {
        "delivery": delivery,
        "files": files,
        "ended": len(files) - len(active),
        "overall": overall,
        "failed_count": len(failed),
        "kept_count": len(files) - len(failed),
        "gone_count": sum(1 for file in files if not file.can_render_again),
    }


@login_required
@require_POST
def delivery_start(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Export all, from the ad's page: the delivery's page follows."""
    ad = get_playlist(request, uuid)
    try:
        delivery = services.delivery_start(user=request.user, ad=ad)  # checks the role
    except ValidationError as error:
        return refused(request, error, "#playlist-alert", reverse("playlist_detail", args=[uuid]))
    return redirect("delivery_detail", uuid=delivery.uuid)


@login_required
@require_GET
def delivery_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The one progress view; htmx polls its #progress fragment while the delivery is active."""
    delivery = get_delivery(request, uuid)
    context = progress_context(delivery)
    # The fragment too: a delivery watched until it fails offers Run again without a reload.
    context["can_edit"] = user_can(request, delivery.ad.project.team, Action.EDIT)
    template = f"{PAGE}#progress" if request.htmx else PAGE
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def delivery_retry(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    delivery = get_delivery(request, uuid)
    back = reverse("delivery_detail", args=[delivery.uuid])
    try:
        services.delivery_retry(user=request.user, delivery=delivery)  # checks the role
    except ValidationError as error:
        return refused(request, error, "#delivery-alert", back)
    return redirect(back)


def _not_ready() -> HttpResponse:
    return HttpResponse("This delivery is not ready.", status=404, content_type="text/plain")


@login_required
@require_GET
def delivery_package(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    delivery = get_delivery(request, uuid)
    if delivery.status != DeliveryStatus.READY or not delivery.package:
        return _not_ready()
    name = (delivery.package.name or "").rsplit("/", 1)[-1]
    return ranged_file_response(
        request, delivery.package, content_type="application/zip", attachment=name
    )


@login_required
@require_GET
def delivery_sheet(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The printable sheet, the rows as packed (the zip holds the same page)."""
    delivery = get_delivery(request, uuid)
    if delivery.status != DeliveryStatus.READY:
        return _not_ready()
    return TemplateResponse(
        request, "deliveries/sheet.html", sheet.sheet_context(delivery, delivery.sheet)
    )


@login_required
@require_GET
def delivery_sheet_csv(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    delivery = get_delivery(request, uuid)
    if delivery.status != DeliveryStatus.READY:
        return _not_ready()
    return csv_response(sheet.sheet_csv(delivery.sheet), CSV_NAME)
