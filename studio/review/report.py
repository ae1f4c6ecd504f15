"""The review report of a playlist or a storyboard, for the client's records: each take's or
playlist's state, every decision (each reviewer's current one and the earlier ones) and every
comment (pinned time, open or resolved, who, when), as a CSV and as a printable page."""

import csv
import io
from dataclasses import dataclass

from django.utils import timezone

from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Playlist
from studio.projects.models import Storyboard, visible_shots
from studio.spreadsheet import spreadsheet_cell

from .decisions import Review
from .models import Comment, Decision, ReviewState
from .services import review_of, take_review_prefetches

COLUMNS = [
    "Subject",
    "Row",
    "Who",
    "When",
    "Decision or state",
    "Counts now",
    "At (s)",
    "On screen",
    "Comment",
    "Comment status",
    "Resolved by",
    "Resolved at",
]


@dataclass
class Section:
    """One reviewed object in the report: what it is, and its review."""

    subject: str
    review: Review

    @property
    def history(self) -> list[tuple[Decision, bool]]:
        """Every decision, oldest first, and whether it is its reviewer's current one."""
        current = {d.pk for d in self.review.reviewers}
        return [(d, d.pk in current) for d in reversed(self.review.decisions)]


def take_subject(take: Take) -> str:
    shot = take.shot
    title = f" “{shot.title}”" if shot.title else ""
    return f"Shot {shot.position}{title}, take {take.take_number}"


def playlist_sections(playlist: Playlist) -> list[Section]:
    """The playlist's own review, then each take in it in playing order, once (five queries)."""
    sections = [Section(f"Playlist {playlist.name}", review_of(playlist))]
    items = playlist.items.select_related("take__shot").prefetch_related(
        *take_review_prefetches("take__")
    )
    seen: set[int] = set()
    for item in items:
        if item.take_id not in seen:
            seen.add(item.take_id)
            sections.append(Section(take_subject(item.take), review_of(item.take)))
    return sections


def storyboard_sections(storyboard: Storyboard) -> list[Section]:
    """Each finished take of the storyboard's shots with a decision or a comment, in shot
    order (three queries)."""
    takes = (
        Take.objects.filter(
            visible_shots("shot__"), shot__storyboard=storyboard, status=TakeStatus.COMPLETED
        )
        .select_related("shot")
        .prefetch_related(*take_review_prefetches())
        .order_by("shot__position", "shot__created_at", "take_number")
    )
    sections = [Section(take_subject(take), review_of(take)) for take in takes]
    return [s for s in sections if s.review.decisions or s.review.comments]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def decision_label(decision: Decision) -> str:
    if decision.state == ReviewState.IN_REVIEW:
        return "Took their decision back"
    return decision.get_state_display()


def _comment_row(subject: str, comment: Comment) -> list[object]:
    resolved_by = comment.resolved_by.get_username() if comment.resolved_by else ""
    return [
        subject,
        "Comment",
        comment.author_name,
        _when(comment.created_at),
        "",
        "",
        f"{comment.at_seconds:.1f}" if comment.is_pinned else "",
        comment.item_label,
        comment.body,
        "Resolved" if comment.resolved else "Open",
        resolved_by if comment.resolved else "",
        _when(comment.resolved_at) if comment.resolved else "",
    ]


def report_csv(sections: list[Section]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for section in sections:
        review, subject = section.review, section.subject
        rows: list[list] = [
            [subject, "State", "", "", review.state_label, "", "", "", review.rule_label] + [""] * 3
        ]
        for decision, counts in section.history:
            rows.append(
                [subject, "Decision", decision.decider_name, _when(decision.decided_at)]
                + [decision_label(decision), "yes" if counts else "no"]
                + [""] * 6
            )
        rows += [_comment_row(subject, comment) for comment in review.comments]
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
