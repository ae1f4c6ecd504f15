"""The simulator's jobs that every part of the bench asks for, and how fast its clock runs."""

DEFAULT_SCALE = 0.05  # one bench second stands for 20 real seconds
DURATIONS = (4, 8)  # seconds of video: takes alternate between them


def job_times(scale: float, seed: int) -> dict:
    """The simulator's job times: 2 s queued, then a median of 20 s + 12 s per video second
    (68 s for a 4 s take, 116 s for 8 s), spread log-normally by 30%: 30 s to 5 min, scaled."""
    return {
        "queue_seconds": 2,
        "run_seconds": 20,
        "run_seconds_per_video_second": 12,
        "run_spread": 0.3,
        "seed": seed,
        "time_factor": scale,
        "min_poll_interval": 3 * scale,
        "resolution": "160x90",  # small files: the studio downloads and probes every one
    }


def warm_up_seed(seed: int) -> int:
    """The seed of a run's warm-up: a stream of render times the run never draws (the
    simulator re-seeds at each reset, so with the run's seed the warm-up's takes would be the
    run's own, and what the studio learned from them would be measured in-sample). No run
    uses seeds this large (random.Random takes a negative int as its absolute value)."""
    return 1_000_000 + seed
