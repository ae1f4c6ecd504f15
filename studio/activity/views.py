from django.contrib.auth.decorators import login_required
from django.db.models import Q, Subquery
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from studio.access import get_project
from studio.htmx import AuthenticatedHttpRequest, parse_id, parse_uuid

from .models import Activity, Verb

PAGE = "activity/project_activity.html"
PAGE_SIZE = 50


def chosen_storyboard(request: HttpRequest) -> str:
    """The storyboard filter as a UUID string; anything else means no filter."""
    chosen = parse_uuid(request.GET.get("storyboard", ""))
    return str(chosen) if chosen else ""


@login_required
@require_GET
def project_activity(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The project's log, newest first, 50 lines at a time. "Older" continues after the last
    line shown (not at an offset), so lines written meanwhile neither repeat nor go missing."""
    project = get_project(request, uuid)
    storyboard = chosen_storyboard(request)
    kind = request.GET.get("kind", "")
    if kind not in Verb.values:
        kind = ""
    lines = project.activities.for_display()
    if storyboard:
        lines = lines.filter(storyboard__uuid=storyboard)
    if kind:
        lines = lines.filter(verb=kind)
    before = parse_id(request.GET.get("before"))
    if before is not None:
        # The cursor's own time, read in the same query: (created_at, pk) < the cursor's.
        at = Subquery(Activity.objects.filter(pk=before, project=project).values("created_at")[:1])
        lines = lines.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=before))
    page = list(lines[: PAGE_SIZE + 1])
    older_url = ""
    if len(page) > PAGE_SIZE:
        page = page[:PAGE_SIZE]
        params = request.GET.copy()
        params["before"] = str(page[-1].pk)
        older_url = f"{request.path}?{params.urlencode()}"
    context = {
        "project": project,
        "lines": page,
        "older_url": older_url,
        "storyboards": project.storyboards.all(),  # only the full page's filter reads them
        "verbs": Verb.values,
        "storyboard": storyboard,
        "kind": kind,
        "filtered": bool(storyboard or kind),
    }
    fragment = request.htmx and not request.htmx.history_restore_request
    response = TemplateResponse(request, f"{PAGE}#lines" if fragment else PAGE, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
