from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.access import get_project
from studio.htmx import AuthenticatedHttpRequest
from studio.projects.forms import ProjectBrandKitForm
from studio.projects.services import project_brand_kit_set
from studio.teams.models import Action, Membership
from studio.teams.services import require_action, user_memberships

from . import services
from .fonts import FONTS
from .forms import BrandKitForm, ElementForm
from .media import logo_response
from .models import BrandKit, Element


def get_team_membership(request: AuthenticatedHttpRequest, uuid) -> Membership:
    """The user's membership of the team in the URL, from the list the topbar reads anyway:
    404 for anyone outside it."""
    for membership in user_memberships(request):
        if membership.team.uuid == uuid:
            return membership
    raise Http404("No such team.")


def get_brand_kit(request: AuthenticatedHttpRequest, uuid) -> BrandKit:
    return get_object_or_404(
        BrandKit.objects.for_user(request.user).select_related("team"), uuid=uuid
    )


@login_required
@require_GET
def brand_kit_list(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    membership = get_team_membership(request, uuid)
    context = {
        "team": membership.team,
        "kits": membership.team.brand_kits.all(),
        "can_edit": membership.allows(Action.EDIT),
        "fonts": {font.key: font for font in FONTS},
    }
    return TemplateResponse(request, "brands/brand_kit_list.html", context)


def kit_form_page(
    request,
    team,
    form: BrandKitForm,
    kit: BrandKit | None = None,
    element_form: ElementForm | None = None,
):
    """The kit's page: its form and, once it exists, its elements with a form to add one."""
    context = {"team": team, "form": form, "kit": kit, "fonts": FONTS}
    if kit is not None:
        context["elements"] = kit.elements.all()
        context["element_form"] = element_form or ElementForm(auto_id="id_element_%s")
    return TemplateResponse(request, "brands/brand_kit_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def brand_kit_create(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    team = get_team_membership(request, uuid).team
    form = BrandKitForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            kit = services.brand_kit_create(  # the service checks the role
                user=request.user,
                team=team,
                values=form.values(),
                logo=form.cleaned_data["logo"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Brand kit {kit.name} created.")
            return redirect("brand_kit_list", uuid=team.uuid)
    # The form page (blank, or with its errors) is for those who may send it.
    require_action(user=request.user, team=team, action=Action.EDIT)
    return kit_form_page(request, team, form)


@login_required
@require_http_methods(["GET", "POST"])
def brand_kit_edit(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    kit = get_brand_kit(request, uuid)
    if request.method == "POST":
        form = BrandKitForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                kit = services.brand_kit_update(
                    user=request.user,
                    kit=kit,
                    values=form.values(),
                    logo=form.cleaned_data["logo"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Brand kit {kit.name} saved.")
                return redirect("brand_kit_list", uuid=kit.team.uuid)
    else:
        form = BrandKitForm.for_kit(kit)
    require_action(user=request.user, team=kit.team, action=Action.EDIT)
    return kit_form_page(request, kit.team, form, kit)


@login_required
@require_POST
def brand_kit_delete(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    kit = get_brand_kit(request, uuid)
    services.brand_kit_delete(user=request.user, kit=kit)
    messages.success(request, f"Brand kit {kit.name} deleted.")
    return redirect("brand_kit_list", uuid=kit.team.uuid)


@login_required
@require_GET
def brand_kit_logo(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    return logo_response(get_brand_kit(request, uuid))


@login_required
@require_http_methods(["GET", "POST"])
def project_brand_kit(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The project's choice of brand kit, among its team's."""
    project = get_project(request, uuid)
    form = ProjectBrandKitForm(request.POST or None, project=project)
    if form.is_valid():
        try:
            project_brand_kit_set(
                user=request.user, project=project, kit=form.cleaned_data["brand_kit"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("project_detail", uuid=project.uuid)
    require_action(user=request.user, team=project.team, action=Action.EDIT)
    return TemplateResponse(
        request, "brands/project_brand_kit.html", {"form": form, "project": project}
    )


# Elements, on the kit's page


def get_element(request: AuthenticatedHttpRequest, uuid) -> Element:
    return get_object_or_404(
        Element.objects.for_user(request.user).select_related("kit__team"), uuid=uuid
    )


def element_saved(request, kit: BrandKit, element: Element, verb: str) -> HttpResponse:
    messages.success(request, f"Element @{element.name} {verb}.")
    return redirect(f"{reverse('brand_kit_edit', args=[kit.uuid])}#elements")


@login_required
@require_POST
def element_create(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    kit = get_brand_kit(request, uuid)
    form = ElementForm(request.POST, auto_id="id_element_%s")
    if form.is_valid():
        try:
            element = services.element_create(user=request.user, kit=kit, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return element_saved(request, kit, element, "added")
    require_action(user=request.user, team=kit.team, action=Action.EDIT)
    return kit_form_page(request, kit.team, BrandKitForm.for_kit(kit), kit, form)


@login_required
@require_http_methods(["GET", "POST"])
def element_edit(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    element = get_element(request, uuid)
    kit = element.kit
    initial = {"name": element.name, "description": element.description}
    form = ElementForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            element = services.element_update(
                user=request.user, element=element, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return element_saved(request, kit, element, "saved")
    require_action(user=request.user, team=kit.team, action=Action.EDIT)
    context = {"team": kit.team, "kit": kit, "element": element, "form": form}
    return TemplateResponse(request, "brands/element_form.html", context)


@login_required
@require_POST
def element_delete(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    element = get_element(request, uuid)
    services.element_delete(user=request.user, element=element)
    return element_saved(request, element.kit, element, "deleted")


def add_errors(form, error: ValidationError) -> None:
    """The service's errors on the form's own fields where it has them."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error)
