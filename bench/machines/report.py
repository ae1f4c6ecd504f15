"""The machines bench's checks and tables, worked out from what a run measured (plain data, so
that a test can hold them against made-up runs)."""

from dataclasses import dataclass
from decimal import Decimal

from bench.stats import table


@dataclass(frozen=True)
class MachineRun:
    name: str
    beat: bool
    stores: int  # videos it downloaded: the simulator counts them by the host it was sent to
    cpu_seconds: float  # its worker, pool and beat, over the run
    rss_mib: float  # the same processes' memory at the end
    local_files: int  # files left in its media and temporary folders


@dataclass(frozen=True)
class Run:
    takes: int
    completed: int
    seconds: float
    rpm: int  # the gateway's limit, and the studio's request budget
    calls: int  # submits, polls and cancels the gateway answered
    accepted: int
    accepted_per_key: dict[str, int]
    idempotency_keys: list[str]  # the takes'
    rate_limited: int
    window_peak: int  # the most requests in one rolling minute, as the gateway counted them
    downloads: int
    bucket_keys: list[str]
    take_files: list[str]  # the takes' videos and posters, as the database names them
    spent: Decimal
    reserved: Decimal
    billed: Decimal
    machines: list[MachineRun]


Check = tuple[str, str, bool]


def checks(run: Run) -> list[Check]:
    twice = sum(1 for count in run.accepted_per_key.values() if count > 1)
    stores = [machine.stores for machine in run.machines]
    left = sum(machine.local_files for machine in run.machines)
    return [
        ("takes completed", f"{run.completed}/{run.takes}", run.completed == run.takes),
        (
            "each accepted once by the gateway",
            f"{run.accepted} jobs for {run.takes} takes, {twice} keys accepted twice",
            run.accepted == run.takes
            and run.accepted_per_key == dict.fromkeys(run.idempotency_keys, 1),
        ),
        (
            "each stored once, in the bucket",
            f"{run.downloads} downloads, {len(run.bucket_keys)} objects",
            run.downloads == run.takes
            and len(run.take_files) == 2 * run.takes
            and run.bucket_keys == sorted(run.take_files),
        ),
        ("nothing left on a machine's own disk", f"{left} files", left == 0),
        (
            "both machines stored takes",
            " / ".join(map(str, stores)),
            all(stores) and sum(stores) == run.downloads,
        ),
        ("429s from the gateway", str(run.rate_limited), run.rate_limited == 0),
        (
            "peak requests in a rolling minute",
            f"{run.window_peak} (limit {run.rpm})",
            run.window_peak <= run.rpm,
        ),
        (
            "ledger equals the gateway's billing",
            f"${run.spent} spent, ${run.billed} billed, ${run.reserved} still reserved",
            run.spent == run.billed and run.reserved == 0,
        ),
    ]


def render(run: Run, results: list[Check]) -> str:
    minutes = run.seconds / 60
    summary = (
        f"{run.takes} takes in {run.seconds:.0f} s; {run.calls} gateway requests "
        f"({run.calls / max(run.takes, 1):.2f} a take, {run.calls / minutes:.0f} a minute on "
        f"average, at most {run.window_peak} in a rolling minute against a limit of {run.rpm})"
    )
    checked = table(
        "checks",
        ["check", "measured", "ok"],
        [[what, seen, "ok" if ok else "FAILED"] for what, seen, ok in results],
    )
    machines = table(
        "machines",
        ["machine", "beat", "stores", "share", "CPU", "CPU per take stored", "RSS at the end"],
        [
            [
                machine.name,
                "yes" if machine.beat else "no",
                str(machine.stores),
                f"{machine.stores / max(run.downloads, 1):.0%}",
                f"{machine.cpu_seconds:.1f} s ({machine.cpu_seconds / run.seconds:.0%} of a core)",
                f"{machine.cpu_seconds / max(machine.stores, 1) * 1000:.0f} ms",
                f"{machine.rss_mib:.0f} MiB",
            ]
            for machine in run.machines
        ],
    )
    return "\n".join([summary, checked, machines])
