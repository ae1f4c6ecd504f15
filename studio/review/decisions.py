"""From decisions to a state. Each reviewer (a team member by account; a guest by share link
and the name they gave) has their own current decision: their latest. The take's or
playlist's state follows from the reviewers' current decisions by the team's rule:

- everyone who reviews must approve (one objection holds it): any Reject makes it rejected,
  else any Request changes makes it changes requested (a rejection says more than a request
  for changes, so it wins), else any Approve makes it approved, one alone included; with no
  current decision it is in review.
- an owner's approval is final: an owner's current Approve makes it approved whatever the
  others said; without one, as the first rule. Whether a decider owns the team is read
  with the decisions (`DecisionQuerySet.with_rule`), so a demoted owner's approval stops
  being final.

A reviewer who takes their decision back (decides "in review") has no current decision. A
guest's decisions count while their share link is live: an owner clears a guest's objection
by revoking the link (the history keeps it). Decisions whose decider's account was deleted
since are one reviewer's, so only the newest of them counts."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from studio.teams.models import ReviewRule

from .models import Comment, Decision, ReviewState

# The order in which the default rule lets one reviewer's state outweigh another's.
PRECEDENCE = (ReviewState.REJECTED, ReviewState.CHANGES_REQUESTED, ReviewState.APPROVED)


def key_of(
    *, user_id: int | None = None, link_id: int | None = None, guest_name: str = ""
) -> tuple:
    """Who a reviewer is: a member by account, a guest by link and name (in any case)."""
    if guest_name:
        return ("guest", link_id, guest_name.casefold())
    return ("member", user_id)


def reviewer_key(decision: Decision) -> tuple:
    if not decision.guest_name and not decision.decided_by_id:
        # Accounts deleted since: one reviewer, or each deleted account's superseded
        # decisions would all count again.
        return ("gone",)
    return key_of(
        user_id=decision.decided_by_id,
        link_id=decision.share_link_id,
        guest_name=decision.guest_name,
    )


def current_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    """Each reviewer's latest decision, newest first, leaving out those taken back and those
    of guests whose link is no longer live. `decisions` come newest first (Decision's
    ordering)."""
    latest: dict[tuple, Decision] = {}
    for decision in decisions:
        if decision.counts:
            latest.setdefault(reviewer_key(decision), decision)
    return [d for d in latest.values() if d.state != ReviewState.IN_REVIEW]


def derived_state(current: Sequence[Decision], rule: str) -> str:
    if rule == ReviewRule.OWNER_FINAL and any(
        d.state == ReviewState.APPROVED and d.by_owner for d in current
    ):
        return ReviewState.APPROVED
    states = {d.state for d in current}
    return next((state for state in PRECEDENCE if state in states), ReviewState.IN_REVIEW)


def rule_of(decisions: Sequence[Decision]) -> str:
    """The team's rule, read with the decisions; with none, any rule gives "in review"."""
    return decisions[0].team_rule if decisions else ReviewRule.ALL_MUST_APPROVE


def state_of(decisions: Sequence[Decision]) -> str:
    """The state of one take or playlist, from its decisions read `with_rule`, newest first."""
    return derived_state(current_decisions(decisions), rule_of(decisions))


# The review control's three choices; pressing the one already pressed takes it back.
DECIDE_CHOICES = (
    (ReviewState.APPROVED, "Approve"),
    (ReviewState.CHANGES_REQUESTED, "Request changes"),
    (ReviewState.REJECTED, "Reject"),
)


@dataclass
class Review:
    """One object's review: every decision, newest first (the history), read `with_rule`, and
    its comments, oldest first."""

    decisions: list[Decision] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @cached_property
    def reviewers(self) -> list[Decision]:
        """Each reviewer's current decision, newest first."""
        return current_decisions(self.decisions)

    @property
    def rule_label(self) -> str:
        return ReviewRule(rule_of(self.decisions)).label

    @property
    def state(self) -> str:
        return derived_state(self.reviewers, rule_of(self.decisions))

    @property
    def has_guests(self) -> bool:
        """Does a guest stand by a decision? The review block then says for how long."""
        return any(d.guest_name for d in self.reviewers)

    @property
    def state_label(self) -> str:
        return ReviewState(self.state).label

    @property
    def open_comments(self) -> list[Comment]:
        return [c for c in self.comments if not c.resolved]

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        return DECIDE_CHOICES

    def current_of(self, key: tuple) -> str:
        """The state a reviewer (see `key_of`) stands by now."""
        mine = next((d for d in self.reviewers if reviewer_key(d) == key), None)
        return mine.state if mine else ReviewState.IN_REVIEW
