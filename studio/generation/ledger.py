"""What takes cost a project: spent (what the gateway billed: finished takes, and a finished
job whose file the studio refused) and reserved (takes that may still be charged). Failed and
cancelled jobs are not charged."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from studio.projects.models import Project

from .models import Take, TakeStatus

ZERO = Decimal("0.00")
NOT_CHARGED = (TakeStatus.FAILED, TakeStatus.CANCELLED)


@dataclass(frozen=True)
class Costs:
    spent: Decimal = ZERO
    reserved: Decimal = ZERO

    @property
    def committed(self) -> Decimal:
        return self.spent + self.reserved


def _sum(expression, condition: Q):
    return Coalesce(
        Sum(expression, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


# What counts as spent, and how much: shared by the totals and the spend-per-day chart.
SPENT_WHEN = Q(status=TakeStatus.COMPLETED) | Q(billed_cost__isnull=False)
SPENT_AMOUNT = Coalesce("billed_cost", "estimated_cost")
SPENT = _sum(SPENT_AMOUNT, SPENT_WHEN)
RESERVED = _sum("estimated_cost", ~Q(status__in=NOT_CHARGED) & ~Q(status=TakeStatus.COMPLETED))


# A project's spent, for annotating a list of projects (the dashboard's cards) in one query.
PROJECT_SPENT = Coalesce(
    Subquery(
        Take.objects.filter(shot__storyboard__project=OuterRef("pk"))
        .order_by()
        .values("shot__storyboard__project")
        .annotate(spent=SPENT)
        .values("spent")
    ),
    Value(ZERO),
    output_field=DecimalField(max_digits=12, decimal_places=2),
)


def cents(amount) -> Decimal:
    """SQLite sums decimals as floats ($79.6000000000001): back to exact cents."""
    return Decimal(str(amount)).quantize(ZERO)


def project_costs(project: Project) -> tuple[Costs, dict[int, Costs]]:
    """The project's total and each storyboard's, in one query."""
    rows = (
        Take.objects.filter(shot__storyboard__project=project)
        .values("shot__storyboard")
        .annotate(spent=SPENT, reserved=RESERVED)
        .order_by()
    )
    per_storyboard = {
        row["shot__storyboard"]: Costs(spent=cents(row["spent"]), reserved=cents(row["reserved"]))
        for row in rows
    }
    total = Costs(
        spent=sum((c.spent for c in per_storyboard.values()), ZERO),
        reserved=sum((c.reserved for c in per_storyboard.values()), ZERO),
    )
    return total, per_storyboard


def project_totals(project: Project) -> Costs:
    """The project's spent and reserved, in one query (for the budget check and its message)."""
    totals = Take.objects.filter(shot__storyboard__project=project).aggregate(
        spent=SPENT, reserved=RESERVED
    )
    return Costs(spent=cents(totals["spent"]), reserved=cents(totals["reserved"]))


@dataclass(frozen=True)
class DaySpend:
    day: date
    storyboard_id: int
    spent: Decimal


def project_spend_per_day(project: Project) -> list[DaySpend]:
    """What was spent each day, per storyboard, in one query: a take counts on the day it
    finished (the studio's clock when no finish time was kept). Summed over every day, this is
    exactly the `spent` of `project_costs`."""
    rows = (
        Take.objects.filter(SPENT_WHEN, shot__storyboard__project=project)
        .annotate(day=TruncDate(Coalesce("finished_at", "gateway_done_at", "updated_at")))
        .values("day", "shot__storyboard")
        .annotate(spent=Sum(SPENT_AMOUNT))
        .order_by("day", "shot__storyboard")
    )
    return [
        DaySpend(day=row["day"], storyboard_id=row["shot__storyboard"], spent=cents(row["spent"]))
        for row in rows
    ]


def takes_cost(path: str):
    """The summed cost (billed, else estimated) of the takes reached through `path`, for
    annotating, e.g. playlists with `takes_cost("items__take")`."""
    return Coalesce(
        Sum(Coalesce(f"{path}__billed_cost", f"{path}__estimated_cost")),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
