"""The loads: one member loading the page again and again, every member polling the live view."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from django.conf import settings

from bench.storyboard.serve import QUERIES_HEADER
from bench.storyboard.world import World, edit_shot

TOKEN = re.compile(r'data-token="([0-9.]+)"')
SHOT_CARD = 'class="shot card"'
TAKE_CARD = 'class="take card'
PAGE_VIEWER, PAGE_EDITOR = "storyboard page, viewer", "storyboard page, editor"
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
    sizes: list[int] = field(default_factory=list)
    shot_cards: list[int] = field(default_factory=list)
    take_cards: list[int] = field(default_factory=list)
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
        self.shot_cards.append(text.count(SHOT_CARD))
        self.take_cards.append(text.count(TAKE_CARD))
        token = TOKEN.search(text)
        self.tokens += token is not None
        return token and token.group(1)


def client(base_url: str, session: str) -> httpx.AsyncClient:
    # trust_env off: a proxy from the environment must not sit between the bench and itself.
    return httpx.AsyncClient(
        base_url=base_url,
        cookies={settings.SESSION_COOKIE_NAME: session},
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
    base_url: str, session: str, url: str, sample: Sample, requests: int
) -> None:
    """One person loading the page again and again."""
    async with client(base_url, session) as http:
        await http.get(url)  # warm-up: templates compiled, the connection open
        started = time.perf_counter()
        for _ in range(requests):
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
    for name, session, url in (
        (PAGE_VIEWER, world.viewer, page_url),
        (PAGE_EDITOR, world.editor, page_url),
        (MINIMAL, world.viewer, minimal_url),
    ):
        samples.append(Sample(name, one))
        await one_after_another(base_url, session, url, samples[-1], requests)
    paced = f"{members} members, every {interval:g} s", interval
    flat_out = f"{members} members, back-to-back", 0.0
    # The rounds without edits first: an edited shot stays news for LIVE_OVERLAP (5 s).
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
    return samples
