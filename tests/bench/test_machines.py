"""The machines bench's checks (bench/machines/report.py), held against made-up runs: a clean
run passes every one, and each way a run can go wrong fails the check that names it."""

import dataclasses
from decimal import Decimal

from bench.machines.report import MachineRun, Run, checks, render


def clean_run(takes: int = 4) -> Run:
    files = [
        f"takes/2026/11/{n}/{name}" for n in range(takes) for name in ("take.mp4", "poster.jpg")
    ]
    return Run(
        takes=takes,
        completed=takes,
        seconds=60.0,
        rpm=600,
        calls=2 * takes,
        accepted=takes,
        accepted_per_key={f"key-{n}": 1 for n in range(takes)},
        idempotency_keys=[f"key-{n}" for n in range(takes)],
        rate_limited=0,
        window_peak=2 * takes,
        downloads=takes,
        bucket_keys=sorted(files),
        take_files=files,
        spent=Decimal("9.60"),
        reserved=Decimal("0.00"),
        billed=Decimal("9.60"),
        machines=[
            MachineRun("machine-1", True, 1, 3.0, 400.0, 0),
            MachineRun("machine-2", False, takes - 1, 2.0, 390.0, 0),
        ],
    )


def failed(run: Run) -> list[str]:
    return [what for what, _, ok in checks(run) if not ok]


def test_a_clean_run_passes_every_check_and_is_printed():
    run = clean_run()

    assert failed(run) == []
    assert "machine-2" in render(run, checks(run))


def test_a_take_stored_twice_fails_stored_once():
    run = clean_run()
    twice = dataclasses.replace(
        run, downloads=run.downloads + 1, bucket_keys=sorted([*run.bucket_keys, "takes/x_a1b2.mp4"])
    )
    assert failed(twice) == ["each stored once, in the bucket", "both machines stored takes"]


def test_each_broken_promise_fails_its_own_check():
    run = clean_run()
    one = run.machines[0]
    cases = {
        "takes completed": {"completed": run.takes - 1},
        "each accepted once by the gateway": {
            "accepted_per_key": {**run.accepted_per_key, "key-0": 2}
        },
        "nothing left on a machine's own disk": {
            "machines": [dataclasses.replace(one, local_files=1), run.machines[1]]
        },
        "429s from the gateway": {"rate_limited": 1},
        "peak requests in a rolling minute": {"window_peak": run.rpm + 1},
        "ledger equals the gateway's billing": {"reserved": Decimal("0.40")},
    }
    for check, change in cases.items():
        assert failed(dataclasses.replace(run, **change)) == [check], check


def test_a_machine_that_stored_nothing_fails():
    run = clean_run()
    idle = [dataclasses.replace(run.machines[0], stores=0), run.machines[1]]
    assert failed(dataclasses.replace(run, machines=idle)) == ["both machines stored takes"]
