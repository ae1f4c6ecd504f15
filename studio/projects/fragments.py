"""The storyboard page's shared answers: the whole page, a shot card drawn afresh, the nudge that
makes the page fetch live changes, a refused change. The board's views, its session views and the
generation views answer with these."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from uuid import UUID

from django.core.cache import cache as shared_cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_htmx.http import trigger_client_event

from studio.generation.models import Take
from studio.htmx import HtmxHttpRequest, refused
from studio.review.services import take_review_prefetches
from studio.teams.models import Action
from studio.teams.services import user_can

from . import services
from .forms import ShotForm
from .models import Shot, Storyboard
from .versions import storyboard_version

SESSION_TEMPLATE = "projects/storyboard_detail.html"


def storyboard_shots(shots: QuerySet[Shot]) -> QuerySet[Shot]:
    """Shots with their model and takes in three queries, however many there are: the page
    and the live updates draw shot cards from this one query."""
    return shots.select_related("video_model").prefetch_related(
        Prefetch(
            "takes",
            # Each take's review decisions and comments: two more queries, not two per take.
            queryset=Take.objects.order_by("take_number").prefetch_related(
                *take_review_prefetches()
            ),
        )
    )


def storyboard_changed(response: HttpResponse) -> HttpResponse:
    """Tell the page to fetch live changes now: renumbered shots, the new order."""
    return trigger_client_event(response, "storyboard-changed")


def shot_card(request: HttpRequest, shot: Shot) -> TemplateResponse:
    """The whole card, its takes included, drawn afresh."""
    return shot_part(request, storyboard_shots(Shot.all_objects.filter(pk=shot.pk)).get(), "shot")


def shot_part(request: HttpRequest, shot: Shot, partial: str, **extra) -> TemplateResponse:
    context = {"shot": shot, "storyboard": shot.storyboard, "can_edit": True, **extra}
    return TemplateResponse(request, f"{SESSION_TEMPLATE}#{partial}", context)


def storyboard_refused(
    request: HtmxHttpRequest,
    storyboard: Storyboard,
    error: ValidationError,
    *,
    where: str = "#storyboard-alert",
) -> HttpResponse:
    """A refused change on a storyboard; the page also fetches the news, since a refusal often
    means someone else changed it meanwhile."""
    back = reverse("storyboard_detail", args=[storyboard.uuid])
    return storyboard_changed(refused(request, error, where, back))


def takes_in_progress(shots: Iterable[Shot]) -> int:
    return sum(take.is_active for shot in shots for take in shot.takes.all())


# Faces drawn in the page's "who is here"; the rest are one "+N" whose tooltip names them. At 200
# members a face each crowded the page head, and drawing them was a quarter of a live poll.
PRESENCE_FACES = 8
PRESENCE_NAMED = 3  # names in the sentence beside them: "alice, bob, carol and 197 others here"


def presence(names: list[str]) -> SafeString:
    """Who is here, as the page's live status shows it: the same for everyone it is sent to.
    The sentence is what a screen reader hears; the faces, initials, are hidden from it."""
    # "and 1 other" would hide a name that fits where the words for it go.
    named = names if len(names) <= PRESENCE_NAMED + 1 else names[:PRESENCE_NAMED]
    context = {
        "shown": names[:PRESENCE_FACES],
        "unshown": names[PRESENCE_FACES:],
        "named": named,
        "others": len(names) - len(named),
    }
    return render_to_string("projects/storyboard_detail.html#presence", context)


def live_token(now: datetime) -> str:
    return f"{now.timestamp():.6f}"


# Board or List, as the user last chose, kept in their session (so it follows the login, and
# costs no query: the session is read for the login anyway).
VIEW_KEY = "storyboard_view"
VIEWS = ("board", "list")


def board_view(request: HttpRequest) -> bool:
    """Is this user's storyboard page the board? ?view= chooses, and is remembered. The board
    unless the list was chosen: the frames are what a storyboard is looked at for, and they
    are a page of a few hundred KB where the list of every take is megabytes."""
    chosen = request.GET.get("view")
    if chosen in VIEWS and request.session.get(VIEW_KEY) != chosen:
        request.session[VIEW_KEY] = chosen
    return request.session.get(VIEW_KEY) != "list"


# The shots as drawn (the board's frames, or the list's cards) are cached under the
# storyboard's version: every member on the same version and with the same rights gets the
# same markup, drawn once. Nothing per person or per request is in it: the forms' CSRF token
# is this placeholder, put in per answer (one string replace), so that the forms keep working
# without JavaScript; the review blocks (who decided what, the reviewer's own decision) are
# fetched when opened. A version no one asks for any more just expires.
# The slot is put in unescaped and holds a "<": text a member typed is drawn escaped, so it can
# never read as the slot and be rewritten with someone's token.
CSRF_SLOT = mark_safe("<csrf-token-of-this-answer>")
# A drawing is a few hundred KB (the board) to a few MB (the list of a 300-shot storyboard),
# and every edit makes a new version: kept a few minutes, the time members open the page at
# one version, so that a busy day does not fill Redis with versions no one will ask for.
DRAWN_SECONDS = 5 * 60
# The templates a drawing is made of (the page's partials and what they include), and the
# live answer's (live.py keys its shared answers by this revision too).
DRAWN_FROM = (
    SESSION_TEMPLATE,
    "projects/storyboard_live.html",
    "review/take_review_fold.html",
    "review/take_review_state.html",
    "projects/prompt_sent.html",
)


@cache
def template_revision() -> str:
    """The drawing templates' own revision, in the key: a deploy that changes their markup
    never serves what the previous one drew (a change in a template tag's code shows within
    DRAWN_SECONDS)."""
    sources = (get_template(name).template.source for name in DRAWN_FROM)  # type: ignore[attr-defined]
    return hashlib.blake2b("".join(sources).encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class Drawn:
    html: SafeString
    in_progress: int  # takes in progress among them, for the page's live status


def ticks(shot: Shot) -> bool:
    """Does the shot's card show a clock (a take in progress: its elapsed time moves)?"""
    return any(take.is_active for take in shot.takes.all())


def drawn_shots(
    storyboard: Storyboard,
    *,
    board: bool,
    can_edit: bool,
    open_shot: Shot | None,
    edit: dict,
    live: str,
    csrf_token: str,
) -> Drawn:
    """The page's shots, as frames or as cards, and how many of their takes are in progress:
    from the cache, or drawn and kept. Drawn for this answer alone when they show something
    of it: a frame marked open (the drawer's shot) or a card in its edit form; and in the
    list, the cards whose takes' clocks tick, alone (the other cards come from the cache;
    the board's frames show no clock)."""
    context = {
        "storyboard": storyboard,
        "can_edit": can_edit,
        "open_shot": open_shot,
        "edit": edit,
        "live_token": live,
        "csrf_token": CSRF_SLOT,
    }
    if open_shot or edit:
        shots = storyboard_shots(storyboard.shots.all())
        partial = "frames" if board else "cards"
        html = render_to_string(f"{SESSION_TEMPLATE}#{partial}", {**context, "shots": shots})
        return with_token(html, csrf_token, takes_in_progress(shots))
    version = storyboard_version(storyboard)
    rights = "edit" if can_edit else "view"
    # The list is kept card by card (the cards that tick are drawn for each answer).
    kind = "frames" if board else "card-pieces"
    key = f"storyboard:{storyboard.pk}:{version}:{kind}:{rights}:{template_revision()}"
    drawn = shared_cache.get(key)
    loaded: dict[int, Shot] = {}
    if drawn is None:
        # Built only to draw: even unread, the queryset and its prefetches cost a millisecond.
        shots = storyboard_shots(storyboard.shots.all())
        drawn = draw_frames(shots, context) if board else draw_cards(shots, context)
        shared_cache.set(key, drawn, DRAWN_SECONDS)
        loaded = {shot.pk: shot for shot in shots}  # as the drawing loaded them
    if board:
        return with_token(drawn[0], csrf_token, drawn[1])
    # The cards that tick, drawn now: from their shots alone, when the drawing came from the
    # cache (a shot edited since is a new version, so they are the ones the drawing knew).
    ticking = [piece for piece in drawn if isinstance(piece, int)]
    if ticking and not loaded:
        loaded = {s.pk: s for s in storyboard_shots(storyboard.shots.filter(pk__in=ticking))}
    card = get_template(f"{SESSION_TEMPLATE}#shot")
    cards = "".join(
        piece if isinstance(piece, str) else card.render({**context, "shot": loaded[piece]})
        for piece in drawn
        if isinstance(piece, str) or piece in loaded
    )
    in_progress = takes_in_progress(loaded[pk] for pk in ticking if pk in loaded)
    return with_token(cards, csrf_token, in_progress)


def draw_frames(shots: QuerySet[Shot], context: dict) -> tuple[str, int]:
    html = render_to_string(f"{SESSION_TEMPLATE}#frames", {**context, "shots": shots})
    return html, takes_in_progress(shots)  # the shots as the drawing loaded them


def draw_cards(shots: QuerySet[Shot], context: dict) -> list[str | int]:
    """Each shot's card, or, for one whose clock ticks, its id: drawn for each answer. (Only a
    card with a take in progress ticks, so the others count none in progress.)"""
    card = get_template(f"{SESSION_TEMPLATE}#shot")
    return [shot.pk if ticks(shot) else card.render({**context, "shot": shot}) for shot in shots]


def with_token(html: str, csrf_token: str, in_progress: int) -> Drawn:
    # The markup was escaped when drawn; the token is letters and digits.
    return Drawn(mark_safe(html.replace(CSRF_SLOT, csrf_token)), in_progress)  # noqa: S308


def storyboard_page(
    request: HttpRequest,
    storyboard: Storyboard,
    shot_form: ShotForm | None,
    edit: dict | None = None,
    *,
    open_uuid: UUID | None = None,
) -> TemplateResponse:
    """The whole page. `edit` opens one shot's edit form in place (a link from elsewhere, or a
    form that came back with errors or a conflict when JavaScript is off); on the board, in
    the drawer, as does `open_uuid` (a frame's link without JavaScript)."""
    now = timezone.now()
    board = board_view(request)
    wanted = open_uuid or (edit or {}).get("uuid")
    open_shot = None
    if board and wanted:
        open_shot = storyboard_shots(storyboard.shots.filter(uuid=wanted)).first()
    can_edit = user_can(request, storyboard.project.team, Action.EDIT)
    token = live_token(now)
    # One token for the whole page, its own forms and the shots' alike (as {% csrf_token %}
    # would give every form of one page).
    csrf_token = get_token(request)
    drawn = drawn_shots(
        storyboard,
        board=board,
        can_edit=can_edit,
        open_shot=open_shot,
        edit=edit or {},
        live=token,
        csrf_token=csrf_token,
    )
    context = {
        "board": board,
        "open_shot": open_shot,
        "in_progress": drawn.in_progress,
        "storyboard": storyboard,
        "project": storyboard.project,
        "drawn_shots": drawn.html,
        "csrf_token": csrf_token,
        "can_edit": can_edit,
        "shot_form": shot_form,
        "edit": edit or {},
        "live_token": token,
        "presence": presence(services.present_users(storyboard, now)),
    }
    return TemplateResponse(request, "projects/storyboard_detail.html", context)
