"""Render times learned from what polling saw: a log-normal fitted by maximum likelihood to
intervals, not to points.

Polling never sees when a job finished. It sees the last answer that said "not done" and the
first that said "done": the finish lies between the two. A job done before its first poll is
known only to be done by then (left-censored). A webhook's event says when, to the second.
Taking a point in each interval (its middle, or the first "done" answer) biases exactly the tail
the first poll hangs on: every job done before the first poll is pushed up against it, so the
fastest takes look slower than they were, the lower tail looks thin and the spread narrow, and
the next takes' first poll comes too late for more of them than the plan allows. The likelihood
of an interval is the chance the distribution gives it, so nothing is pushed anywhere; the
spread (sigma) is shared by groups (a model's durations) that spread alike around their own
medians (mu), as render times do.

Pure Python: damped Newton steps on (mu of each group, log sigma) with the score worked out
exactly and the Hessian by differencing it, from the naive estimate; a handful of steps
suffice. The inverse of the (observed) information gives the estimate's own uncertainty, which
the poll plan turns into a margin (polling.py); without a maximum there is no fit."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TINY = 1e-300
_SPREAD0 = 0.3  # the spread render times typically have (polling.DEFAULT_SPREAD)
# Below this spread the fit is degenerate (identical exact times: the likelihood has no
# maximum), not learned.
_MIN_SPREAD = 0.01
# The fit has converged when the Newton decrement (score' information^-1 score: twice the
# log-likelihood still to gain) is below this.
_CONVERGED = 1e-4


@dataclass(frozen=True)
class Observation:
    """One finished job, in seconds after its submit: done after `low` (0 when never seen not
    done) and by `high`. `low == high` is an exact time (a take stored before intervals
    were)."""

    low: float
    high: float

    @property
    def exact(self) -> bool:
        return self.low >= self.high


@dataclass(frozen=True)
class Fit:
    """Log render times ~ Normal(mu[g], sigma) for each group g; `covariance` is that of
    (mu[0], ..., mu[G-1], log sigma), from the observed information."""

    mu: tuple[float, ...]
    sigma: float
    covariance: tuple[tuple[float, ...], ...]

    def log_percentile_se(self, group: int, z: float) -> float:
        """Standard error of mu + z * sigma (delta method: d/d log sigma is z * sigma)."""
        last = len(self.mu)
        gradient = {group: 1.0, last: z * self.sigma}
        variance = sum(
            gradient[i] * gradient[j] * self.covariance[i][j] for i in gradient for j in gradient
        )
        return math.sqrt(max(variance, 0.0))


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _mass(alpha: float, beta: float) -> float:
    """P(alpha < Z <= beta), computed on the side where it does not cancel away."""
    if alpha > 0:
        return max(_cdf(-alpha) - _cdf(-beta), _TINY)
    return max(_cdf(beta) - _cdf(alpha), _TINY)


def _terms(obs: Observation, mu: float, sigma: float) -> tuple[float, float, float]:
    """log-likelihood of one observation, and its derivatives by mu and by log sigma."""
    if obs.exact:
        z = (math.log(obs.high) - mu) / sigma
        return -0.5 * z * z - _LOG_SQRT_2PI - math.log(sigma), z / sigma, z * z - 1
    beta = (math.log(obs.high) - mu) / sigma
    if obs.low > 0:
        alpha = (math.log(obs.low) - mu) / sigma
        a_pdf, a_term = _pdf(alpha), alpha * _pdf(alpha)
    else:
        alpha, a_pdf, a_term = -math.inf, 0.0, 0.0
    mass = _mass(alpha, beta)
    b_pdf = _pdf(beta)
    d_mu = -(b_pdf - a_pdf) / (sigma * mass)
    d_log_sigma = -(beta * b_pdf - a_term) / mass
    return math.log(mass), d_mu, d_log_sigma


def _loglik_and_score(
    groups: Sequence[Sequence[Observation]], params: list[float]
) -> tuple[float, list[float]]:
    sigma = math.exp(params[-1])
    total, score = 0.0, [0.0] * len(params)
    for g, group in enumerate(groups):
        for obs in group:
            value, d_mu, d_log_sigma = _terms(obs, params[g], sigma)
            total += value
            score[g] += d_mu
            score[-1] += d_log_sigma
    return total, score


def _start(groups: Sequence[Sequence[Observation]]) -> list[float]:
    """The naive estimate: each job at the middle of its interval, a job done before its first
    poll a typical spread before that poll (halfway back to the submit would put the many such
    jobs of heavy censoring far below the median, where the likelihood is not concave)."""
    mus, deviations = [], []
    for group in groups:
        logs = [
            math.log((obs.low + obs.high) / 2) if obs.low > 0 else math.log(obs.high) - _SPREAD0
            for obs in group
        ]
        mu = sum(logs) / len(logs)
        mus.append(mu)
        deviations += [(value - mu) ** 2 for value in logs]
    sigma = math.sqrt(sum(deviations) / max(len(deviations) - 1, 1))
    return [*mus, math.log(max(sigma, _SPREAD0))]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """matrix^-1 vector by Gaussian elimination with partial pivoting (a few unknowns)."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        if abs(rows[col][col]) < 1e-12:
            raise ZeroDivisionError("singular information")
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][size] / rows[i][i] for i in range(size)]


def _information(
    groups: Sequence[Sequence[Observation]], params: list[float], score: list[float]
) -> list[list[float]]:
    """Minus the Hessian of the log-likelihood, by forward differences of the exact score
    (`score` is the score at `params`): one pass over the takes per parameter."""
    size, step = len(params), 1e-6
    columns = []
    for i in range(size):
        moved = list(params)
        moved[i] += step
        score_moved = _loglik_and_score(groups, moved)[1]
        columns.append([-(a - b) / step for a, b in zip(score_moved, score, strict=True)])
    # Symmetric by nature; averaging removes the differencing's asymmetry.
    return [[(columns[i][j] + columns[j][i]) / 2 for j in range(size)] for i in range(size)]


def _positive_definite(matrix: list[list[float]]) -> bool:
    """Cholesky without keeping the factor: every pivot must stay positive."""
    size = len(matrix)
    factor = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            rest = matrix[i][j] - sum(factor[i][k] * factor[j][k] for k in range(j))
            if i == j:
                if not rest > 0:
                    return False
                factor[i][i] = math.sqrt(rest)
            else:
                factor[i][j] = rest / factor[j][j]
    return True


def _damped(information: list[list[float]], damping: float) -> list[list[float]]:
    return [
        [value + (damping if i == j else 0.0) for j, value in enumerate(row)]
        for i, row in enumerate(information)
    ]


def fit(groups: Sequence[Sequence[Observation]], *, steps: int = 60) -> Fit | None:
    """Maximum likelihood for log-normal render times with a shared spread; `groups` must each
    hold at least two observations. None when there is no trustworthy maximum: the caller
    keeps the unlearned plan rather than a wrong fit with a confident margin.

    Levenberg-Marquardt steps: Newton's where the information is positive-definite and the
    step raises the likelihood; otherwise the information is damped (its diagonal raised)
    until it is, which turns the step towards the score (a short gradient step). Where most
    takes are done before their first poll, the likelihood far from its maximum is not
    concave, and a plain Newton step there points downhill."""
    try:
        return _fit(groups, steps)
    except (OverflowError, ValueError, ZeroDivisionError):
        # Extreme data (identical exact times, all done before the first poll) can push the
        # spread to 0 or infinity on the way: not learned, never a crashed submit.
        return None


def _fit(groups: Sequence[Sequence[Observation]], steps: int) -> Fit | None:
    params = _start(groups)
    value, score = _loglik_and_score(groups, params)
    information = _information(groups, params, score)
    damping = 0.0
    for _ in range(steps):
        # Raised until the damped information is positive-definite: the step then raises the
        # likelihood for a large enough damping, which a refused step increases.
        while not _positive_definite(_damped(information, damping)):
            damping = max(
                damping * 10, 1e-3 * max(1.0, *(abs(row[i]) for i, row in enumerate(information)))
            )
        step = _solve(_damped(information, damping), score)
        trial = [p + s for p, s in zip(params, step, strict=True)]
        trial_value, trial_score = (
            _loglik_and_score(groups, trial)
            if trial[-1] >= math.log(_MIN_SPREAD)
            else (-math.inf, score)
        )
        if not trial_value >= value:
            damping = max(damping * 10, 1e-3)
            continue
        decrement = sum(s * g for s, g in zip(step, score, strict=True))  # the step's own gain
        params, value, score = trial, trial_value, trial_score
        information = _information(groups, params, score)
        damping /= 10
        if decrement < _CONVERGED * 1e-2:
            break
    # Converged only at a maximum: positive-definite information (positive variances, not the
    # 0 that a negative one clipped to) and the score spent.
    if not _positive_definite(information):
        return None
    covariance = [
        _solve(information, [float(i == j) for i in range(len(params))]) for j in range(len(params))
    ]
    decrement = sum(
        score[i] * covariance[i][j] * score[j]
        for i in range(len(params))
        for j in range(len(params))
    )
    if decrement > _CONVERGED or params[-1] < math.log(_MIN_SPREAD):
        return None
    return Fit(
        mu=tuple(params[:-1]),
        sigma=math.exp(params[-1]),
        covariance=tuple(tuple(row) for row in covariance),
    )


def likely_done(obs: Observation, *, mu: float, sigma: float) -> float:
    """When the job most likely finished, in seconds after its submit: the median of the
    fitted distribution inside the observation's interval (for a short interval about its
    middle; for a job done before its first poll, well before that poll, where the fit says
    the fast jobs finish, not halfway back to the submit)."""
    if obs.exact:
        return obs.high
    high = (math.log(obs.high) - mu) / sigma
    low = (math.log(obs.low) - mu) / sigma if obs.low > 0 else -math.inf
    p_low, p_high = _cdf(low), _cdf(high)
    if p_high - p_low < 1e-9:
        return (obs.low + obs.high) / 2
    middle = _inverse_cdf((p_low + p_high) / 2)
    return min(max(math.exp(mu + sigma * middle), obs.low), obs.high)


def _inverse_cdf(p: float) -> float:
    return NormalDist().inv_cdf(min(max(p, 1e-12), 1 - 1e-12))


def lag_percentile(
    planned: Sequence[tuple[Observation, float]], *, mu: float, sigma: float, share: float = 0.05
) -> float:
    """The lag that `share` of these takes exceeded, as far as the fit can tell: each take was
    completed at a known moment (seconds after its submit) and finished somewhere in its
    observation's interval (ending after the submit), with the fitted distribution's weight
    inside it. One point per take (likely_done) would put every take seen by a regular poll
    halfway through the wait, and every take done before its first poll at one moment: a p95
    of half the wait, or one that jumps with how many were early. Found by bisection to a
    millisecond; at least one take."""
    if not planned:
        raise ValueError("no takes to read a lag from")
    # Each take's weight inside its interval, once: the bisection asks for its part of it.
    weighed = [
        (seen, completed, None if seen.exact else _weight(seen, seen.high, mu, sigma))
        for seen, completed in planned
    ]

    def late(lag: float) -> float:
        """The expected share of takes whose lag was over `lag`: it falls as `lag` grows."""
        total = 0.0
        for seen, completed, inside in weighed:
            before = completed - lag  # finished before this: more than `lag` late
            if inside is None:
                total += seen.high < before
            elif before > seen.low:
                total += min(_weight(seen, min(before, seen.high), mu, sigma) / inside, 1.0)
        return total / len(weighed)

    low, high = 0.0, max(completed - seen.low for seen, completed in planned)
    while high - low > 1e-3:
        middle = (low + high) / 2
        low, high = (middle, high) if late(middle) > share else (low, middle)
    return high


def _weight(seen: Observation, until: float, mu: float, sigma: float) -> float:
    """The fitted probability of finishing after the interval's start and by `until`."""
    alpha = (math.log(seen.low) - mu) / sigma if seen.low > 0 else -math.inf
    return _mass(alpha, (math.log(until) - mu) / sigma)
