"""The load of `python -m bench.live_load`, run by Locust in a process of its own (Locust patches
the standard library with gevent when it starts, before this file is loaded).

Members poll the live endpoint as the storyboard page does (static/js/storyboard.js): every
LIVE_LOAD_PACING seconds (0: as soon as the answer is in), with `since` set to the token of
their previous answer. One editor opens a shot's edit form and saves it every
LIVE_LOAD_EDIT_PACING seconds, shot after shot, as Edit then Save do (the form's version, the
CSRF token in the header htmx sends). What the bench needs beyond Locust's statistics (answers
that carried shots, saves that went through) is written to LIVE_LOAD_TALLY at the end.
"""

import itertools
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

from locust import FastHttpUser, between, events, task

WORLD = json.loads(Path(os.environ["LIVE_LOAD_WORLD"]).read_text())
PACING = float(os.environ.get("LIVE_LOAD_PACING", "3"))
EDIT_PACING = float(os.environ.get("LIVE_LOAD_EDIT_PACING", "1.5"))
LIVE_URL = f"/storyboards/{WORLD['storyboard']}/live/"
TOKEN = re.compile(r'data-token="([^"]*)"')
SHOT = "<template data-shot="
HTMX = {"HX-Request": "true"}

members = itertools.count()
tally: Counter[str] = Counter()


def cookies(session: str) -> dict[str, str]:
    # Sent as a header: the studio's cookies are Secure (DEBUG off), which a cookie jar keeps
    # from a plain-HTTP server, and a browser behind the proxy would send them.
    return {
        "Cookie": f"{WORLD['session_cookie']}={session}; {WORLD['csrf_cookie']}={WORLD['csrf']}"
    }


class Member(FastHttpUser):
    def on_start(self) -> None:
        number = next(members)
        self.headers = {**HTMX, **cookies(WORLD["sessions"][number % len(WORLD["sessions"])])}
        self.token = WORLD["token"]
        self.polled_at = 0.0
        # Each page is opened at a moment of its own within the first interval (the same for a
        # member in every run). Locust starts its users a second's batch at a time, and its
        # constant_pacing counts from then: 67 polls in the same few milliseconds once a
        # second, queued behind each other, instead of one every 15 ms.
        time.sleep(random.Random(number).uniform(0, PACING))  # noqa: S311 -- a moment, not a secret

    def wait_time(self) -> float:
        # As the page's timer: one poll per interval from its own start; one that fell due
        # while the previous was out goes as soon as it is back, never two at once.
        return max(0.0, self.polled_at + PACING - time.monotonic())

    @task
    def poll(self) -> None:
        self.polled_at = time.monotonic()
        url = f"{LIVE_URL}?since={quote(self.token, safe='')}"
        with self.client.get(url, headers=self.headers, name="live", catch_response=True) as answer:
            found = TOKEN.search(answer.text or "") if answer.status_code == 200 else None
            if found is None:
                tally["polls failed"] += 1
                answer.failure(f"{answer.status_code} without a live token")
                return
            tally["polls"] += 1
            shots = answer.text.count(SHOT)
            tally["answers with shots"] += shots > 0
            tally["shots"] += shots
            self.token = found.group(1)


class Editor(FastHttpUser):
    fixed_count = 1
    # Spread a little, as a person's saves are: not in step with the members' polls.
    wait_time = between(EDIT_PACING * 0.8, EDIT_PACING * 1.2)

    def on_start(self) -> None:
        self.headers = {**HTMX, **cookies(WORLD["editor_session"]), "X-CSRFToken": WORLD["csrf"]}
        self.turns = itertools.count()

    @task
    def save_a_shot(self) -> None:
        shot = WORLD["shots"][next(self.turns) % len(WORLD["shots"])]
        prefix = f"edit-{shot['pk']}"
        form = self.client.get(
            f"/shots/{shot['uuid']}/edit/", headers=self.headers, name="edit form"
        )
        version = re.search(rf'name="{prefix}-version"[^>]*value="(\d+)"', form.text or "")
        if version is None:
            tally["saves failed"] += 1
            return
        tally["edits"] += 1
        fields = {**shot["fields"], "prompt": f"{shot['fields']['prompt']}, edit {tally['edits']}"}
        body = urlencode(
            {f"{prefix}-{name}": value for name, value in fields.items()}
            | {f"{prefix}-version": version.group(1)}
        )
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(
            f"/shots/{shot['uuid']}/update/",
            data=body,
            headers=headers,
            name="save",
            catch_response=True,
        ) as saved:
            # Saved: the card's body comes back; a conflict or an error brings the form again.
            if saved.status_code == 200 and "data-editing" not in (saved.text or ""):
                tally["saves"] += 1
            else:
                tally["saves failed"] += 1
                saved.failure(f"{saved.status_code}: not saved")


@events.test_stop.add_listener
def write_tally(**_) -> None:
    Path(os.environ["LIVE_LOAD_TALLY"]).write_text(json.dumps(tally))
