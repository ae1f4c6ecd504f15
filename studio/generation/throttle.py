"""The gateway's request budget, shared by every worker process through Redis: a step asks it
before each request and waits when it says so; a 429 slows everyone down."""

import contextlib
import logging
from datetime import timedelta
from typing import Literal

from django.conf import settings

from studio.gateway import errors as gw

from .budget import BudgetUnavailable, RequestBudget

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 5  # doubles per attempt


_budgets: dict[tuple[str, int], RequestBudget] = {}


def request_budget() -> RequestBudget | None:
    """This process's handle on the shared budget (one connection pool per process)."""
    if not settings.STUDIO_BUDGET_REDIS_URL:
        return None
    key = (settings.STUDIO_BUDGET_REDIS_URL, settings.AIGATEWAY_RPM)
    if key not in _budgets:
        _budgets[key] = RequestBudget.from_settings()
    return _budgets[key]


def wait_for_slot(kind: Literal["submit", "poll", "cancel"]) -> timedelta | None:
    """None when one gateway request may go now (it is counted), else how long to wait."""
    granted, wait = request_slots(kind, 1)
    return None if granted else wait


def request_slots(kind: Literal["submit", "poll", "cancel"], count: int) -> tuple[int, timedelta]:
    """How many of `count` gateway requests may go now (those are counted), and how long the
    rest should wait."""
    budget = request_budget()
    if budget is None:
        return count, timedelta(0)
    try:
        granted, wait = budget.acquire_many(kind, count)
    except BudgetUnavailable:
        log.warning("The request budget's Redis does not answer; waiting before calling")
        return 0, timedelta(seconds=RETRY_BASE_SECONDS)
    return granted, timedelta(seconds=wait)


def slow_everyone_down(error: gw.GatewayError) -> None:
    """A 429 came anyway (another client on the key, clock skew): every worker waits."""
    budget = request_budget()
    if budget is not None and error.retry_after:
        with contextlib.suppress(BudgetUnavailable):  # the 429's own wait still applies
            budget.slow_down(error.retry_after)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** min(attempt, 6))
