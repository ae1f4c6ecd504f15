"""The spend-per-day chart as geometry for a server-rendered SVG: no JavaScript, no library.

Amounts stay Decimal (the data table and the labels show them); only pixel positions are
derived from them, as strings with one decimal, so the template never formats a number.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from studio.projects.models import Project, Storyboard

from .ledger import ZERO, DaySpend, project_spend_per_day

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 14, 36  # room for the dollar labels and the dates
MAX_DAYS, MIN_DAYS = 30, 7
MAX_DATE_LABELS = 8
COLOURS = 8  # series colours in the stylesheet (.spend-series-0 to -7), then they repeat
PIXEL = Decimal("0.1")


def px(value: Decimal) -> str:
    return str(value.quantize(PIXEL, rounding=ROUND_HALF_UP))


def short_date(day: date) -> str:
    return f"{day:%b} {day.day}"


def dollars(amount_cents: int) -> str:
    """An axis label: $0, $2.50, $1,200."""
    amount = Decimal(amount_cents) / 100
    return f"${amount:,.0f}" if amount_cents % 100 == 0 else f"${amount:,.2f}"


def nice_step(top_cents: int, ticks: int = 4) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten (in cents) that covers
    `top_cents` in `ticks` steps."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            if step * ticks >= top_cents:
                return step
        magnitude *= 10


@dataclass(frozen=True)
class Series:
    index: int
    storyboard_id: int
    title: str
    total: Decimal

    @property
    def colour(self) -> str:
        return f"spend-series-{self.index % COLOURS}"


@dataclass(frozen=True)
class Segment:
    series: Series
    amount: Decimal
    x: str
    y: str
    width: str
    height: str


@dataclass(frozen=True)
class Column:
    day: date
    amounts: list[Decimal]  # one per series, in the legend's order
    total: Decimal
    segments: list[Segment] = field(default_factory=list)

    @property
    def label(self) -> str:
        return short_date(self.day)


@dataclass(frozen=True)
class Tick:
    y: str
    label: str


@dataclass(frozen=True)
class DateLabel:
    x: str
    label: str


@dataclass(frozen=True)
class SpendChart:
    start: date
    end: date
    series: list[Series]
    columns: list[Column]
    ticks: list[Tick]
    dates: list[DateLabel]
    total: Decimal  # within the chart's days
    earlier: Decimal  # spent before its first day
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def spending_days(self) -> list[Column]:
        """The data table's rows: days on which something was spent."""
        return [column for column in self.columns if column.total]

    @property
    def description(self) -> str:
        span = f"Spend per day from {short_date(self.start)} to {short_date(self.end)}"
        if not self.total:
            return f"{span}: nothing spent in these days."
        busiest = max(self.columns, key=lambda column: column.total)
        per = ", ".join(f"{s.title} ${s.total:,.2f}" for s in self.series)
        return (
            f"{span}, stacked by storyboard. ${self.total:,.2f} in total ({per}); "
            f"the most was ${busiest.total:,.2f} on {busiest.label}."
        )


def spend_chart(
    spend: Iterable[DaySpend],
    storyboards: Sequence[tuple[int, str]],
    *,
    today: date,
) -> SpendChart | None:
    """Up to the last 30 days (at least 7), from the first day anything was spent; None when
    nothing has been. Series follow the storyboards' order; only those with spend appear."""
    spend = list(spend)
    if not spend:
        return None
    end = max(today, max(row.day for row in spend))
    first = min(row.day for row in spend)
    start = max(min(first, end - timedelta(days=MIN_DAYS - 1)), end - timedelta(days=MAX_DAYS - 1))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]

    per_day: dict[tuple[date, int], Decimal] = defaultdict(lambda: ZERO)
    earlier = ZERO
    for row in spend:
        if row.day < start:
            earlier += row.spent
        else:
            per_day[row.day, row.storyboard_id] += row.spent
    series: list[Series] = []
    for storyboard_id, title in storyboards:
        total = sum((per_day[day, storyboard_id] for day in days), ZERO)
        if total:
            series.append(Series(len(series), storyboard_id, title, total))

    columns: list[Column] = []
    for day in days:
        amounts = [per_day[day, s.storyboard_id] for s in series]
        columns.append(Column(day=day, amounts=amounts, total=sum(amounts, ZERO)))
    top_cents = max(int(column.total * 100) for column in columns)
    step = nice_step(max(top_cents, 100))
    steps = -(-max(top_cents, 1) // step)  # ceiling
    scale_cents = step * steps

    plot_height = Decimal(HEIGHT - TOP - BOTTOM)
    plot_width = Decimal(WIDTH - LEFT - RIGHT)
    slot = plot_width / len(days)
    bar = min(slot * Decimal("0.7"), Decimal(40))

    def y_of(amount_cents: int) -> Decimal:
        return Decimal(HEIGHT - BOTTOM) - plot_height * amount_cents / scale_cents

    for number, column in enumerate(columns):
        x = Decimal(LEFT) + slot * number + (slot - bar) / 2
        below = 0
        for s, amount in zip(series, column.amounts, strict=True):
            if not amount:
                continue
            above = below + int(amount * 100)
            column.segments.append(
                Segment(
                    series=s,
                    amount=amount,
                    x=px(x),
                    y=px(y_of(above)),
                    width=px(bar),
                    height=px(y_of(below) - y_of(above)),
                )
            )
            below = above

    every = -(-len(days) // MAX_DATE_LABELS)
    dates = [
        DateLabel(x=px(Decimal(LEFT) + slot * number + slot / 2), label=short_date(day))
        for number, day in enumerate(days)
        if number % every == 0
    ]
    ticks = [Tick(y=px(y_of(step * n)), label=dollars(step * n)) for n in range(steps + 1)]
    return SpendChart(
        start=start,
        end=end,
        series=series,
        columns=columns,
        ticks=ticks,
        dates=dates,
        total=sum((s.total for s in series), ZERO),
        earlier=earlier,
    )


def project_spend_chart(project: Project, storyboards: Sequence[Storyboard]) -> SpendChart | None:
    """The project page's chart, in one query (the storyboards are already loaded)."""
    return spend_chart(
        project_spend_per_day(project),
        [(storyboard.pk, storyboard.title) for storyboard in storyboards],
        today=timezone.localdate(),
    )
