"""How the studio writes money, times and change markers: plain functions that any layer may
use, and the `{% load studio %}` template library (settings.TEMPLATES names it)."""

from datetime import timedelta
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(amount: Decimal | None) -> str:
    """$1,234.50 — money is Decimal all the way to the page."""
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


TOP_UP_FEE = Decimal("1.05")  # the gateway takes 5% when the wallet is topped up, not per call


@register.filter
def topup(amount: Decimal) -> Decimal:
    """What it takes to top the wallet up by `amount`: shown as a note, never added per call."""
    return (amount * TOP_UP_FEE).quantize(Decimal("0.01"))


@register.filter
def clock(span: timedelta | None) -> str:
    """Elapsed time as a clock: 0:07, 2:35, 1:02:03."""
    if span is None:
        return "0:00"
    seconds = max(int(span.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


@register.filter
def stamp(moment) -> str:
    """A change marker for live updates: the page skips a card whose stamp it already shows."""
    return f"{moment.timestamp():.6f}" if moment else ""


@register.filter
def machine_time(moment) -> str:
    """A `<time datetime>` value: ISO 8601 to the second. HTML allows at most three digits of
    a second's fraction, and no reader of the page needs any."""
    return moment.replace(microsecond=0).isoformat() if moment else ""


@register.filter
def a_seconds(seconds: int) -> str:
    """A length in whole seconds with its article, as read aloud: "a 5 s", "an 8 s", "an 11 s"."""
    digits = str(abs(seconds))
    # Said "eight...", "eleven..." or "eighteen...": the first group of three digits decides.
    lead = digits[: len(digits) % 3 or 3]
    article = "an" if lead.startswith("8") or lead in ("11", "18") else "a"
    return f"{article} {seconds} s"


@register.filter
def negate(amount: Decimal) -> Decimal:
    """-amount: "over the budget by" is what the budget keeps, below zero."""
    return -amount
