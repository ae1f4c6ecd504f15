"""Compare two versions side by side or with a wipe, playing in sync (static/js/compare.js):
two finished takes of one shot, or two finished exports of one playlist. Anyone in the team
may look (viewers too); an outsider gets 404, and so does a version from elsewhere."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from studio.access import get_playlist, get_shot
from studio.generation.models import Take, TakeStatus
from studio.htmx import parse_uuid
from studio.playlists.models import Export, ExportStatus

COMPARE = "review/compare.html"


@dataclass(frozen=True)
class Version:
    """One side of the comparison, as the page offers and plays it."""

    key: str
    label: str
    src: str


def _take_version(take: Take, selected_id: int | None) -> Version:
    length = take.video_duration or take.duration
    selected = ", selected" if take.pk == selected_id else ""
    label = f"Take {take.take_number} ({float(length):.1f} s{selected})"
    return Version(str(take.uuid), label, reverse("take_video", args=[take.uuid]))


def _export_version(export: Export) -> Version:
    label = f"Version {export.version}: {export.file_name}"
    return Version(str(export.uuid), label, reverse("export_download", args=[export.uuid]))


def _pick(request: HttpRequest, versions: list[Version], side: str, default: Version) -> Version:
    """The version a select chose, else the default; one that is not on offer is a 404 (a take
    of another shot, an export of another playlist, a take not finished)."""
    asked = request.GET.get(side)
    if not asked:
        return default
    key = str(parse_uuid(asked))
    for version in versions:
        if version.key == key:
            return version
    raise Http404("That version is not one of these to compare.")


def _answer(request: HttpRequest, versions: list[Version], defaults: tuple, **context):
    if len(versions) >= 2:
        context |= {
            "first": _pick(request, versions, "a", defaults[0]),
            "second": _pick(request, versions, "b", defaults[1]),
        }
    return TemplateResponse(request, COMPARE, {"versions": versions, **context})


@login_required
@require_GET
def shot_compare(request: HttpRequest, uuid) -> TemplateResponse:
    """Two finished takes of the shot: by default the selected take (else the latest) and the
    latest other one."""
    shot = get_shot(request, uuid)
    takes = list(shot.takes.filter(status=TakeStatus.COMPLETED).order_by("-take_number"))
    versions = [_take_version(take, shot.selected_take_id) for take in takes]
    defaults: tuple = ()
    if len(takes) >= 2:
        first = next((t for t in takes if t.pk == shot.selected_take_id), takes[0])
        second = next(t for t in takes if t.pk != first.pk)
        defaults = (versions[takes.index(first)], versions[takes.index(second)])
    return _answer(
        request,
        versions,
        defaults,
        project=shot.storyboard.project,
        title=f"Compare takes of shot {shot.position}",
        back=reverse("storyboard_detail", args=[shot.storyboard.uuid]) + f"#shot-{shot.uuid}",
        back_label=f"Back to {shot.storyboard.title}",
        noun="take",
        ratio=shot.aspect_ratio,
    )


@login_required
@require_GET
def playlist_compare(request: HttpRequest, uuid) -> TemplateResponse:
    """Two finished exports of the playlist: by default the latest and the one before it."""
    playlist = get_playlist(request, uuid)
    exports = list(playlist.exports.filter(status=ExportStatus.DONE).exclude(video=""))
    versions = [_export_version(export) for export in exports]  # newest first
    return _answer(
        request,
        versions,
        tuple(versions[:2]),
        project=playlist.project,
        title=f"Compare exports of {playlist.name}",
        back=reverse("playlist_detail", args=[playlist.uuid]) + "#exports",
        back_label=f"Back to {playlist.name}",
        noun="export",
        ratio=playlist.aspect_ratio,
    )
