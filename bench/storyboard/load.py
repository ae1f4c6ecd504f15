"""The loads: one member loading the page again and again, every member polling the live view."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import httpx
from django.conf import settings

from bench.storyboard.serve import QUERIES_HEADER
from bench.storyboard.world import World, edit_shot

TOKEN = re.compile(r'data-token="([^"]+)"')  # the live view's: version-seconds
SHOT_CARD = 'class="shot card"'
TAKE_CARD = 'class="take card'
FRAME = 'class="frame card'
# The page as a member opens it (the board), and the list of cards one click away.
PAGE_VIEWER, PAGE_EDITOR = "storyboard page, viewer", "storyboard page, editor"
LIST_VIEWER, LIST_EDITOR = "storyboard list, viewer", "storyboard list, editor"
PAGE_EDITOR_CHANGED = "storyboard page, editor, after an edit"
PAGES = (PAGE_VIEWER, PAGE_EDITOR, PAGE_EDITOR_CHANGED)
LISTS = (LIST_VIEWER, LIST_EDITOR)
LIVE, LIVE_CHANGING, MINIMAL = "live", "live, shots edited", "minimal view"
AfterAnswer = Callable[[], Awaitable[None]]  # what a polling member does after each answer


@dataclass
class Sample:
    """What one target's requests came back with, under one load."""

    name: str
    load: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # as read, uncompressed
    wire_sizes: list[int] = field(default_factory=list)  # the body as sent (gzipped, for HTML)
    shot_cards: list[int] = field(default_factory=list)
    take_cards: list[int] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    tokens: int = 0  # answers that carried a live token
    edits: int = 0  # shots saved by an editor during the round
    wall: float = 0.0

    def record(self, response: httpx.Response, seconds: float) -> str | None:
        """Keeps the figures of one answer; returns its live token, if it has one."""
        text = response.text
        self.seconds.append(seconds)
        self.statuses.append(response.status_code)
        self.queries.append(int(response.headers.get(QUERIES_HEADER, -1)))
        self.sizes.append(len(response.content))
        self.wire_sizes.append(response.num_bytes_downloaded)
        self.shot_cards.append(text.count(SHOT_CARD))
        self.take_cards.append(text.count(TAKE_CARD))
        self.frames.append(text.count(FRAME))
        token = TOKEN.search(text)
        self.tokens += token is not None
        return token and token.group(1)


def client(base_url: str, session: str) -> httpx.AsyncClient:
    # trust_env off: a proxy from the environment must not sit between the bench and itself.
    # Gzip accepted, as every browser does: the sizes on the wire are what a member downloads.
    return httpx.AsyncClient(
        base_url=base_url,
        cookies={settings.SESSION_COOKIE_NAME: session},
        headers={"Accept-Encoding": "gzip"},
        timeout=120,
        trust_env=False,
    )


async def timed_get(
    http: httpx.AsyncClient, url: str, sample: Sample, token: str, headers: dict
) -> str:
    started = time.perf_counter()
    response = await http.get(url, params={"since": token} if token else None, headers=headers)
    return sample.record(response, time.perf_counter() - started) or token


async def one_after_another(
    base_url: str,
    session: str,
    url: str,
    sample: Sample,
    requests: int,
    before: Callable[[int], None] | None = None,
) -> None:
    """One person loading the page again and again; `before` runs before each load, untimed."""
    async with client(base_url, session) as http:
        # Warm-up: templates compiled, the connection open, and this version of the board drawn
        # (and cached) once, as the first member to open it after a change would.
        await http.get(url)
        started = time.perf_counter()
        for number in range(requests):
            if before:
                await asyncio.to_thread(before, number)
            await timed_get(http, url, sample, "", {})
        sample.wall = time.perf_counter() - started


async def polling(
    base_url: str,
    sessions: list[str],
    url: str,
    sample: Sample,
    *,
    polls: int,
    interval: float,
    after_answer: AfterAnswer | None = None,
) -> None:
    """Every member polls as the page does, with the token of their previous answer, every
    `interval` seconds (0: as soon as the answer is in)."""
    # The token a page loaded just now would carry.
    first_token = f"{time.time():.6f}"
    headers = {"HX-Request": "true"}
    loop = asyncio.get_running_loop()

    async def member(http: httpx.AsyncClient, offset: float) -> None:
        token, due = first_token, loop.time() + offset
        for _ in range(polls):
            await asyncio.sleep(max(0.0, due - loop.time()))
            token = await timed_get(http, url, sample, token, headers)
            if after_answer:
                await after_answer()
            # As the page's timer: a poll that fell due while one was out goes when it is back.
            due += interval

    clients = [client(base_url, session) for session in sessions]
    try:
        # Warm-up: every connection open and every member present before the clock starts.
        warm_up = {"since": first_token}
        await asyncio.gather(*(http.get(url, params=warm_up, headers=headers) for http in clients))
        spread = interval / len(clients)
        started = time.perf_counter()
        await asyncio.gather(*(member(http, n * spread) for n, http in enumerate(clients)))
        sample.wall = time.perf_counter() - started
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))


def changed_before(world: World, number: int) -> None:
    # Numbered apart from the live rounds' edits, so that every save changes the prompt.
    edit_shot(world, 1000 + number)


def editing_every(world: World, answers: int, sample: Sample) -> AfterAnswer:
    """An editor saves the next shot after every `answers` answers, off the event loop (the
    ORM is synchronous); the member whose answer it was waits for the save, untimed."""
    count = 0

    async def after_answer() -> None:
        nonlocal count
        count += 1
        if count % answers == 0:
            sample.edits += 1
            await asyncio.to_thread(edit_shot, world, sample.edits)

    return after_answer


async def run_targets(
    world: World,
    base_url: str,
    *,
    requests: int,
    polls: int,
    interval: float,
    change_every: int,
) -> list[Sample]:
    """Each target under each load, in the order the table shows them."""
    page_url = f"/storyboards/{world.storyboard}/"
    live_url = f"{page_url}live/"
    minimal_url = "/bench/minimal/"
    one = "1 member, one after another"
    members = len(world.sessions)
    samples = []
    # The pages first: asking for the list is remembered in the member's session.
    for name, session, url in (
        (PAGE_VIEWER, world.viewer, page_url),
        (PAGE_EDITOR, world.editor, page_url),
        (LIST_VIEWER, world.viewer, f"{page_url}?view=list"),
        (LIST_EDITOR, world.editor, f"{page_url}?view=list"),
        (MINIMAL, world.viewer, minimal_url),
    ):
        samples.append(Sample(name, one))
        await one_after_another(base_url, session, url, samples[-1], requests)
    paced = f"{members} members, every {interval:g} s", interval
    flat_out = f"{members} members, back-to-back", 0.0
    # The rounds without edits first: an edited shot stays news for LIVE_OVERLAP (6 s).
    rounds = [
        (LIVE, live_url, paced),
        (LIVE, live_url, flat_out),
        (LIVE_CHANGING, live_url, paced),
        (LIVE_CHANGING, live_url, flat_out),
        (MINIMAL, minimal_url, paced),
        (MINIMAL, minimal_url, flat_out),
    ]
    for name, url, (load, wait) in rounds:
        sample = Sample(name, load)
        samples.append(sample)
        edits = editing_every(world, change_every, sample) if name == LIVE_CHANGING else None
        await polling(
            base_url, world.sessions, url, sample, polls=polls, interval=wait, after_answer=edits
        )
    # Last, as its edits would be news to the quiet live rounds: the page after each change,
    # a shot saved before every load, so that this version of the board is drawn afresh (the
    # cost the first member to open the page after an edit pays).
    # The board asked for by name: the editor's session remembers the list from above.
    samples.append(Sample(PAGE_EDITOR_CHANGED, one))
    edits = partial(changed_before, world)
    board = f"{page_url}?view=board"
    await one_after_another(base_url, world.editor, board, samples[-1], requests, edits)
    return samples
