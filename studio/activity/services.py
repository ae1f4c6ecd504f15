from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from studio.generation.ledger import project_totals
from studio.projects.models import Project, Storyboard
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import Activity, Verb

CENT = Decimal("0.01")


def activity_record(
    *,
    project: Project,
    verb: Verb,
    subject: str,
    actor=None,
    actor_name: str = "",
    storyboard: Storyboard | None = None,
    cost: Decimal | None = None,
) -> Activity:
    """Write one line of the log. Call it inside the transaction of the change it describes,
    so a rolled-back change leaves no line behind."""
    return Activity.objects.create(
        project=project,
        storyboard=storyboard,
        actor=actor,
        actor_name=actor_name or (actor.get_username() if actor else "someone"),
        verb=verb,
        subject=subject[:300],
        cost=cost,
    )


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


@transaction.atomic
def project_budget_set(*, user, project: Project, budget: Decimal) -> Project:
    """Owners set the budget; never below what the takes have already spent or reserved,
    or the budget check would let nothing through while still showing money left."""
    require_action(user=user, team=project.team, action=Action.MANAGE)
    budget = budget.quantize(CENT)
    if budget < 0:
        raise ValidationError({"budget": "The budget cannot be negative."})
    # The same lock the generation budget check takes: no take is reserved between this
    # check and the write.
    locked = Project.objects.select_for_update().get(pk=project.pk)
    costs = project_totals(locked)
    if budget < costs.committed:
        raise ValidationError(
            {
                "budget": (
                    f"The budget cannot go below {money(costs.committed)}: {money(costs.spent)} "
                    f"is already spent and {money(costs.reserved)} reserved for takes in progress."
                )
            }
        )
    old = locked.budget
    if budget == old:
        return project
    locked.budget = budget
    locked.save(update_fields=["budget"])
    activity_record(
        project=locked,
        verb=Verb.EDITED,
        subject=f"budget from {money(old)} to {money(budget)}",
        actor=user,
    )
    project.budget = budget
    return project
