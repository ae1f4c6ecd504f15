"""Live answers shared by everyone on a storyboard: what changed between two versions of the
board is drawn once per kind of member and kept in the cache (Redis, shared by the web
processes), so two hundred pages polling every 3 s cost a few renders per change, and a poll
at the current version costs none.

The version a page holds travels in its token, `<version>-<seconds>`: the live version of the
board it has drawn, and the moment that version was first answered (the same for everyone who
got it, so that their answers are the same and can be shared). The cache remembers each
version it answered: when, and the version of the slow parts (versions.slow_version) in it;
when those moved, every card is sent again. A token whose version it does not remember (it
forgot, or Redis is down and every read is a miss) is answered for that request alone: from
the token's time (never later than now) when the slow parts' version the live version ends
with is the board's, with every shot when it is not.

A plain number of seconds is the token of a page as drawn (fragments.live_token): the moment
it was drawn (the page, drawn from its cache, reads no live version). Pages whose times fall
in the same few seconds of the last minute share the answer, with every shot if the slow parts
were seen to move after it; an older or a future time is answered for that request alone,
from no later than now, so that no token chooses what the cache keeps."""

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from studio.generation.models import ACTIVE_STATUSES
from studio.teams.models import ROLE_ACTIONS, Action

from . import services
from .fragments import CSRF_SLOT, presence, storyboard_shots, template_revision
from .models import Presence, Shot, Storyboard
from .versions import EpochMicroseconds, slow_version

# The board's pulse (below) is read about once a second per storyboard, whoever polls: at 200
# members every 3 s, a few aggregates a second instead of 67 (each over every shot and take cost
# the database about 4 ms and the web process 3.5 ms). A change so shows at most this much later:
# a pulse older than this, by when it was read, is read again.
PULSE_SECONDS = 1
# Live answers re-read this far behind the version's first answer: a change whose transaction
# took its timestamp before that answer's read but committed after it is still picked up (and
# the pulse the answer was drawn with may be read up to PULSE_SECONDS before the answer). The
# page skips cards it already shows at the same stamp, so the overlap costs bytes, not flicker.
LIVE_OVERLAP = timedelta(seconds=5 + PULSE_SECONDS)
MAX_TOKEN_SECONDS = 253_402_300_000  # 9999-12-31, the last moment a datetime holds
VERSION = re.compile(r"[0-9a-f]{32}")  # live_version's digest, then the slow parts' version
# While a take renders, its card's elapsed time and progress move without a write: the
# version then moves on every tick of the page's interval (storyboard.js: 3 s).
RENDERING_TICK_SECONDS = 3
# The storyboard version (versions.py) aggregates everything the board draws, in a few
# queries over every shot, take, decision and comment. What moves often (shots, takes and,
# through the take's updated_at, its reviews) is read by one query (`pulse`) at most once a
# second per board; the rest (roles, the brand kit, prices, titles, guests' links:
# versions.slow_version) is read again this often, so such a change shows within it.
SLOW_PARTS_SECONDS = 5
# An answer is shared while members hold its from-version; a page is rarely more than a few
# versions behind, so a minute covers them and keeps the cache small.
ANSWER_SECONDS = 60
# A token that is a time alone is answered from the start of its slice of this many seconds,
# shared while the time is this recent (a page polls within seconds of being drawn): at most
# a dozen slices a minute, whatever times are sent.
TIME_TOKEN_SECONDS = 5
SHARED_TIME_TOKENS = timedelta(seconds=ANSWER_SECONDS)
# The moment a version was first answered outlives its answers: a page left open holds it.
SEEN_SECONDS = 24 * 60 * 60
# Presence stays in the database (the page reads it there; it is the record), but the polls
# ask the cache first: whether this member was marked present lately (the database is written
# at most this often per member, as services.presence_touch would decide with a query), and
# who is here, read again after this long or when the asker is missing from it (so a member
# always sees themselves; others' arrivals show within it). That spares every poll two
# queries: at 200 members, 130 a second.
MARKED_SECONDS = int(services.PRESENCE_REFRESH.total_seconds())
PRESENT_SECONDS = 2


def parse_token(token: str) -> tuple[str | None, datetime | None]:
    """The version a page holds and the moment it stands for. (None, None), send everything,
    for anything that is not a time since 1970 that the overlap can be taken from."""
    version, _, seconds_text = token.rpartition("-")
    try:
        seconds = float(seconds_text)
    except ValueError:
        return None, None
    if not math.isfinite(seconds) or not 0 <= seconds < MAX_TOKEN_SECONDS:
        return None, None
    if version and not VERSION.fullmatch(version):
        return None, None
    return version or None, datetime.fromtimestamp(seconds, tz=UTC)


def pulse(storyboard: Storyboard) -> dict:
    """What moves often, in one query: shots (deleted ones too: a deletion, an undo and a
    renumbering set updated_at), takes (status, selection; a decision or comment touches the
    take), and how many takes are rendering. The sums of the timestamps move with a write
    that leaves the latest alone (a clock behind, a transaction that took its time before
    another committed); the shots' counts each shot once per take (the join), which still
    moves with any of them."""
    return Shot.all_objects.filter(storyboard=storyboard).aggregate(
        shot_count=Count("pk", distinct=True),
        shot_last=Max("updated_at"),
        shot_sum=Sum(EpochMicroseconds("updated_at")),
        take_count=Count("takes", distinct=True),
        take_last=Max("takes__updated_at"),
        take_sum=Sum(EpochMicroseconds("takes__updated_at")),
        rendering=Count("takes", distinct=True, filter=Q(takes__status__in=ACTIVE_STATUSES)),
    )


@dataclass(frozen=True)
class Live:
    version: str  # the board's live version, ending with the slow parts' (`slow`)
    slow: str  # the slow parts' version in it
    rendering: int  # takes rendering


def live_version(storyboard: Storyboard, now: datetime) -> Live:
    """The board's live version, the slow parts' in it, and how many takes are rendering."""
    pulse_key, key = f"live:pulse:{storyboard.pk}", f"live:slow:{storyboard.pk}"
    cached = cache.get_many([pulse_key, key])
    # When it was read, kept beside it: two polls that both missed may store theirs out of
    # order, and the older must not then be kept for another second.
    read_at, moving = cached.get(pulse_key, (None, None))
    if read_at is None or (now - read_at).total_seconds() >= PULSE_SECONDS:
        moving = pulse(storyboard)
        cache.set(pulse_key, (now, moving), PULSE_SECONDS)
    slow = cached.get(key)
    if slow is None:
        slow = slow_version(storyboard, now=now)
        # When they were seen first: a poll that finds them in the cache must find that too,
        # or it takes them for moved and sends every shot.
        slow_read(storyboard, slow, now)
        cache.set(key, slow, SLOW_PARTS_SECONDS)
    tick = int(now.timestamp() // RENDERING_TICK_SECONDS) if moving["rendering"] else None
    digest = hashlib.blake2b(repr((moving, slow, tick)).encode(), digest_size=8).hexdigest()
    # The slow parts' version at the end: a token whose version the cache does not remember
    # still tells whether what drew its page had today's prices, kit and roles.
    return Live(digest + slow, slow, moving["rendering"])


def slow_read(storyboard: Storyboard, slow: str, now: datetime) -> None:
    """Remember when the slow parts were seen to move to this version (at most
    SLOW_PARTS_SECONDS after they did): a page drawn before then may show the one before. On
    a first reading they were not seen to move."""
    key = f"live:slow-since:{storyboard.pk}"
    known = cache.get(key)
    if known is None:
        cache.set(key, (slow, None), SEEN_SECONDS)
    elif known[0] != slow:
        cache.set(key, (slow, now), SEEN_SECONDS)


def slow_moved_after(storyboard: Storyboard, live: Live, moment: datetime) -> bool:
    """May the slow parts have moved after this moment? Yes if they were seen to move to this
    version after it, or the cache has no word of this version."""
    known = cache.get(f"live:slow-since:{storyboard.pk}")
    if known is None or known[0] != live.slow:
        return True
    return known[1] is not None and moment < known[1]


def seen_key(storyboard: Storyboard, version: str) -> str:
    return f"live:known:{storyboard.pk}:{version}"


def first_answered(storyboard: Storyboard, live: Live, now: datetime) -> datetime:
    """When this version was first answered: now, unless someone got it before. The cache
    keeps the slow parts' version beside it (the same for everyone: the version is a digest
    of it)."""
    key = seen_key(storyboard, live.version)
    seen = cache.get(key)  # usually there: one read, not an add and a read
    if seen is None:
        cache.add(key, (now, live.slow), SEEN_SECONDS)
        seen = cache.get(key, (now, live.slow))
    return seen[0]


def here(storyboard: Storyboard, user, now: datetime) -> SafeString:
    """Mark the member present; who is here, drawn (once for everyone while the list stands)."""
    if cache.add(f"live:marked:{storyboard.pk}:{user.pk}", True, MARKED_SECONDS):
        # The cache says they were not marked lately: their row (there after their first poll)
        # is written in one query, where presence_touch reads, then locks and writes. Only a
        # stale row, so that with Redis down (every add succeeds) it is still written at most
        # every PRESENCE_REFRESH; no row written, presence_touch decides as before (with Redis
        # down, a fresh row so costs two queries a poll, the UPDATE and presence_touch's read).
        stale = now - services.PRESENCE_REFRESH
        mine = Presence.objects.filter(storyboard=storyboard, user=user, last_seen__lt=stale)
        if not mine.update(last_seen=now):
            services.presence_touch(storyboard=storyboard, user=user, now=now)
    key = f"live:presence:{storyboard.pk}"
    present = cache.get(key)
    if present is None or user.get_username() not in present[0]:
        names = services.present_users(storyboard, now)
        present = (names, presence(names))
        cache.set(key, present, PRESENT_SECONDS)
    return present[1]


def token_for(version: str, seen: datetime) -> str:
    return f"{version}-{seen.timestamp():.6f}"


def changed_shots(storyboard: Storyboard, since: datetime | None) -> QuerySet[Shot]:
    """Shots to draw again: edited, moved, deleted or restored since then, or with a take that
    changed or is still rendering (its progress moves). Deleted ones come too, so every page
    drops them. No time: all of them."""
    shots = Shot.all_objects.filter(storyboard=storyboard)
    if since is not None:
        window = since - LIVE_OVERLAP
        shots = shots.filter(
            Q(updated_at__gte=window)
            | Q(takes__updated_at__gte=window)
            | Q(takes__status__in=ACTIVE_STATUSES)
        ).distinct()
    return storyboard_shots(shots)


def nobody() -> HttpRequest:
    """The request a shared answer is drawn for: a member of no particular name (the review
    tags find no decision of theirs to show pressed)."""
    request = HttpRequest()
    request.user = AnonymousUser()
    return request


def draw_shots(
    storyboard: Storyboard, since: datetime | None, *, can_edit: bool, can_review: bool, stamp: str
) -> str:
    """The changed shots as the page merges them, drawn for a kind of member, not a person:
    nothing of one user's (their CSRF token, their own review decision) gets into an answer
    that others are sent."""
    shots = list(changed_shots(storyboard, since))
    for shot in shots:
        # They are all this storyboard's: the cards reach its project and team without a query
        # each (the storyboard page gets this from the related manager).
        shot.storyboard = storyboard
    context = {
        "request": nobody(),
        "storyboard": storyboard,
        "shots": shots,
        "can_edit": can_edit,
        "can_review": can_review,
        # A rendering take's stamp: its card is drawn again on every answer that carries it.
        "live_token": stamp,
        # Every shot: what the page shows is unknown, or drawn before a price, the kit or a
        # role changed, which move no card's stamp; the page redraws what it would skip.
        "redraw": since is None,
        # Each member's own, put in per answer (one string replace): fragments.CSRF_SLOT.
        "csrf_token": CSRF_SLOT,
    }
    return render_to_string("projects/storyboard_live.html#shots", context)


def rights(storyboard: Storyboard) -> dict[str, bool]:
    """What tells one kind of member's drawing from another's: the poller's role, read with
    the storyboard (access.get_storyboard)."""
    actions = ROLE_ACTIONS[storyboard.member_role]  # type: ignore[attr-defined]
    return {"can_edit": Action.EDIT in actions, "can_review": Action.REVIEW in actions}


def shared_shots(
    request: HttpRequest,
    storyboard: Storyboard,
    since_version: str | None,
    since: datetime | None,
    live: Live,
    now: datetime,
) -> SafeString:
    """The shots that changed between the page's version and this one: nothing when they are
    the same; drawn once per (from, to, kind of member) otherwise, when the from-version is one
    the cache answered or a time of the last minute; for this request alone, not kept, when it
    is not (no token chooses what the cache keeps)."""
    if since_version == live.version:
        return SafeString("")
    can = rights(storyboard)
    known = since_version and cache.get(seen_key(storyboard, since_version))
    if known:
        # Drawn from when the version was first answered, as the cache remembers it, not from
        # the moment the token claims: the answer others are sent is the same whatever token
        # brought it here. Every shot when the slow parts moved (a price, the kit, a role):
        # they show on every card.
        seen, slow = known
        start: datetime | None = seen if slow == live.slow else None
    elif since_version is None and since and now - SHARED_TIME_TOKENS <= since <= now:
        # A page as drawn (a time alone): answered from the start of its few seconds, so that
        # pages opened together share it (a few more shots, never fewer). Every shot if the
        # page may have been drawn before the slow parts were last seen to move.
        seconds = since.timestamp() // TIME_TOKEN_SECONDS * TIME_TOKEN_SECONDS
        start = datetime.fromtimestamp(seconds, tz=UTC)
        if slow_moved_after(storyboard, live, start):
            start = None
        since_version = f"t{seconds:.0f}"
    else:
        # No token (every shot), a version the cache never answered or forgot, or a time too
        # old to share or still to come: from its time (never from later than now). A version
        # answered with other slow parts than now, or a time the slow parts may have moved
        # after, gets every shot. With Redis down every version is one the cache forgot: from
        # its time, each poll draws what changed, not every shot for every member.
        start = None
        if since is not None:
            start = min(since, now)
            if since_version is not None:
                stale = not since_version.endswith(live.slow)
            else:
                stale = slow_moved_after(storyboard, live, start)
            if stale:
                start = None
        return with_csrf(request, draw_shots(storyboard, start, **can, stamp=live.version))
    # With the templates' revision: a deploy that changes the cards' markup never sends what
    # the previous one drew.
    key = f"live:answer:{storyboard.pk}:{since_version}:{live.version}"
    key += f":{can['can_edit']:d}{can['can_review']:d}:{template_revision()}"
    drawn = cache.get(key)
    if drawn is None:
        drawn = draw_shots(storyboard, start, **can, stamp=live.version)
        cache.set(key, drawn, ANSWER_SECONDS)
    return with_csrf(request, drawn)


def with_csrf(request: HttpRequest, drawn: str) -> SafeString:
    # The markup was escaped when drawn; the token is letters and digits.
    return mark_safe(drawn.replace(CSRF_SLOT, get_token(request)))  # noqa: S308
