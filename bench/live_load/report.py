"""The live-load bench's figures: Locust's statistics per step, the CPU each process spent, the
capacity at an acceptable p95, and the checks that prove it measured the real thing."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

LIVE, EDIT_FORM, SAVE = "live", "edit form", "save"
SERVER = ("gunicorn", "PostgreSQL", "Redis")  # the web machine's side of each request


@dataclass
class Endpoint:
    """One request name's line of Locust's statistics (after the ramp-up)."""

    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    per_second: float
    kilobytes: float  # per answer, as sent (Locust asks for gzip, as browsers do)


NOTHING_ANSWERED = Endpoint(
    requests=0, failures=0, median_ms=0.0, p95_ms=0.0, per_second=0.0, kilobytes=0.0
)


@dataclass
class Step:
    name: str
    offered: float  # live requests per second the members ask for; 0: as many as are served
    endpoints: dict[str, Endpoint]
    cpu: dict[str, float]  # CPU seconds per process group over the whole step, ramp-up included
    tally: dict[str, int] = field(default_factory=dict)  # what the locustfile counted
    drawn: int = 0  # live answers drawn (the others were the cache's), ramp-up included

    @property
    def live(self) -> Endpoint:
        """The polls answered after the ramp-up: none on a machine too busy to answer one
        within it, which the table shows as nothing served, not as a crash."""
        return self.endpoints.get(LIVE, NOTHING_ANSWERED)

    @property
    def requests(self) -> int:
        """Every request of the step, ramp-up included, as the CPU times are."""
        return (
            self.tally.get("polls", 0)
            + self.tally.get("polls failed", 0)
            + 2 * (self.tally.get("edits", 0) + self.tally.get("saves failed", 0))
        )

    def cpu_ms_per_request(self, who: str) -> float:
        return 1000 * self.cpu.get(who, 0.0) / max(self.requests, 1)

    @property
    def server_ms_per_request(self) -> float:
        return sum(self.cpu_ms_per_request(who) for who in SERVER)


def read_stats(path: Path) -> dict[str, Endpoint]:
    """Locust's `--csv` statistics file, by request name."""
    with path.open(newline="") as stats:
        return {
            row["Name"]: Endpoint(
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                median_ms=float(row["50%"]),
                p95_ms=float(row["95%"]),
                per_second=float(row["Requests/s"]),
                kilobytes=float(row["Average Content Size"]) / 1000,
            )
            for row in csv.DictReader(stats)
            # A name with no request after the ramp-up has no percentiles ("N/A").
            if row["Name"] != "Aggregated" and int(row["Request Count"])
        }


def capacity(steps: list[Step], p95_limit_ms: float) -> float:
    """The most live requests per second served with a p95 within the limit and no failure."""
    served = [
        step.live.per_second
        for step in steps
        if step.live.p95_ms <= p95_limit_ms and not step.live.failures
    ]
    return max(served, default=0.0)


def cpu_bound(steps: list[Step], cores: int) -> float:
    """Requests per second the machine's cores could serve if the server side had them all
    (Locust's own share left out): cores / the server's CPU seconds per request, in the step
    that served the most."""
    busiest = max(steps, key=lambda step: step.live.per_second)
    return 1000 * cores / busiest.server_ms_per_request if busiest.server_ms_per_request else 0.0


def checks(steps: list[Step]) -> list[tuple[str, bool]]:
    edits = sum(step.tally.get("saves", 0) for step in steps)
    return [
        (
            "no request failed",
            not any(endpoint.failures for step in steps for endpoint in step.endpoints.values()),
        ),
        (
            "every poll answered 200 with the next token",
            all(step.tally.get("polls") and not step.tally.get("polls failed") for step in steps),
        ),
        (
            f"the editor's saves went through ({edits} saves)",
            all(step.tally.get("saves") and not step.tally.get("saves failed") for step in steps),
        ),
        (
            "with shots being edited, live answers carried them",
            all(step.tally.get("answers with shots") for step in steps),
        ),
    ]


def render(
    steps: list[Step],
    results: list[tuple[str, bool]],
    *,
    cores: int,
    target: float,
    p95_limit_ms: float,
) -> str:
    lines = [
        "| step | offered live req/s | live req/s | live p50 | live p95 | KB/answer"
        " | answers with shots | drawn | saves (p50) | CPU ms/request: gunicorn | PostgreSQL"
        " | Redis | server | Locust |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for step in steps:
        live, save = step.live, step.endpoints.get(SAVE)
        offered = f"{step.offered:.0f}" if step.offered else "back-to-back"
        carried = step.tally.get("answers with shots", 0) / max(step.tally.get("polls", 0), 1)
        cpu = [step.cpu_ms_per_request(who) for who in (*SERVER, "Locust")]
        # No answer after the ramp-up: no time to show, not a time of 0.
        median, p95 = (
            (f"{live.median_ms:.0f} ms", f"{live.p95_ms:.0f} ms") if live.requests else ("-", "-")
        )
        lines.append(
            f"| {step.name} | {offered} | {live.per_second:.1f} | {median}"
            f" | {p95} | {live.kilobytes:.1f} | {100 * carried:.0f} %"
            f" | {step.drawn}"
            f" | {save.requests if save else 0} ({save.median_ms if save else 0:.0f} ms)"
            f" | {cpu[0]:.2f} | {cpu[1]:.2f} | {cpu[2]:.2f} | {step.server_ms_per_request:.2f}"
            f" | {cpu[3]:.2f} |"
        )
    measured = capacity(steps, p95_limit_ms)
    bound = cpu_bound(steps, cores)
    lines += [
        "",
        f"capacity with live p95 <= {p95_limit_ms:g} ms, measured (Locust on the same"
        f" {cores} cores): {measured:.0f} req/s = {measured / target:.1f}x the"
        f" {target:.0f} req/s asked",
        f"capacity by CPU (the {cores} cores / the server's CPU per request, Locust's share"
        f" left out): {bound:.0f} req/s = {bound / target:.1f}x",
        "",
        *[f"{'ok  ' if ok else 'FAIL'} {label}" for label, ok in results],
    ]
    return "\n".join(lines)
