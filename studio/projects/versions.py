"""A storyboard's version: a short string that changes whenever anything its page or a live
answer draws changes, so that drawn fragments can be cached under it and never invalidated by
hand (a write anywhere, by any process, moves it; nothing has to remember to).

Three queries at most, however many shots, takes, decisions and comments there are: one row
of aggregates (counts, the latest timestamps and primary keys of the storyboard's shots,
takes, reviews and team, and the sums of the shots' and takes' timestamps), the kit's
elements (when the project has a kit) and the catalog's prices.

The row is one statement of plain SQL, written once per process: the ORM took 25 ms to
compile the same aggregates as nineteen subqueries, on every call, where the database
answers in one or two. Tables and columns are read from the models; the review tables, which
sit above projects in the import layers, are reached through the shots' relations rather than
imported."""

import hashlib
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import BigIntegerField, Func, Model
from django.utils import timezone

from studio.brands.models import BrandKit, Element
from studio.catalog.models import VideoModel
from studio.teams.models import Membership, Role, Team

from .models import Project, Shot, Storyboard


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], field: str) -> str:
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    assert isinstance(column, str)  # a concrete field's, not a reverse relation's
    return connection.ops.quote_name(column)


# What a timestamp adds to a sum: the sum only has to move with any write, and SQLite's
# integer SUM raises "integer overflow" past 2**63, which whole epoch microseconds (1.8e15
# each) pass at about 5,000 rows. Modulo 2**40 microseconds (12.7 days) it holds 8 million
# rows, and a write is missed only if it moves a stamp by a multiple of that to the microsecond.
STAMP_MODULUS = 2**40


def epoch_microseconds(column: str) -> str:
    """SQL for a datetime column as microseconds since 1970 modulo STAMP_MODULUS, for a SUM
    that moves with every write and never overflows. SQLite keeps Django's datetimes as UTC
    text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'; strftime('%s'), not unixepoch(), which needs SQLite
    3.38 where Django accepts 3.37. Every '%' is doubled: the SQL is run with parameters."""
    if connection.vendor == "postgresql":
        micro = f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    else:
        seconds = f"CAST(strftime('%%s', {column}) AS INTEGER)"
        micro = f"{seconds} * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER)"
    return f"(({micro}) %% {STAMP_MODULUS})"


class EpochMicroseconds(Func):
    """epoch_microseconds for the ORM."""

    output_field = BigIntegerField()

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        sql = epoch_microseconds(column)
        return sql, tuple(params) * sql.count(column)


def _related(model: type[Model], field: str) -> type[Model]:
    related = model._meta.get_field(field).related_model
    assert isinstance(related, type)
    return related


@cache
def _row_sql() -> str:
    """The row's statement. Its parameters: now (for guests' links), the storyboard four
    times (shots, takes, decisions, comments), the roles, the storyboard (its team's
    members), the storyboard (its own row)."""
    take = _related(Shot, "takes")
    decision = _related(take, "review_decisions")
    comment = _related(take, "review_comments")
    link = _related(decision, "share_link")
    t, c = _table, _column
    shot_of = f"{c(Shot, 'storyboard')} = %s"
    to_shot = f"JOIN {t(Shot)} s ON s.{c(Shot, 'id')} = t.{c(take, 'shot')}"
    on_storyboard = f"s.{c(Shot, 'storyboard')} = %s"
    roles = ", ".join(
        f"SUM(CASE WHEN {c(Membership, 'role')} = %s THEN 1 ELSE 0 END)" for _ in Role.values
    )
    # Identifiers from the models, quoted by the backend; every value is a parameter. What the
    # live pulse also sees (MOVING_COLUMNS) comes first.
    return f"""
SELECT shots.*, takes.*, decisions.total, decisions.latest, comments.total, comments.latest,
       comments.resolved, comments.resolved_at,
       sb.{c(Storyboard, "title")}, p.{c(Project, "name")}, team.{c(Team, "review_rule")},
       p.{c(Project, "brand_kit")}, kit.{c(BrandKit, "updated_at")},
       decisions.orphaned, decisions.guests, comments.orphaned, members.*
FROM {t(Storyboard)} sb
JOIN {t(Project)} p ON p.{c(Project, "id")} = sb.{c(Storyboard, "project")}
JOIN {t(Team)} team ON team.{c(Team, "id")} = p.{c(Project, "team")}
LEFT JOIN {t(BrandKit)} kit ON kit.{c(BrandKit, "id")} = p.{c(Project, "brand_kit")}
CROSS JOIN (
    -- Deleted shots included: a deletion, an undo and a renumbering all set updated_at.
    -- The sum moves with a write that leaves the latest alone (a clock behind, or a
    -- transaction that took its time before another committed).
    SELECT COUNT(*), MAX({c(Shot, "updated_at")}), SUM({epoch_microseconds(c(Shot, "updated_at"))})
    FROM {t(Shot)} WHERE {shot_of}
) shots
CROSS JOIN (
    -- A take's updated_at moves with its status, and with every decision and comment on it.
    SELECT COUNT(*), MAX(t.{c(take, "updated_at")}),
        SUM({epoch_microseconds(f"t.{c(take, 'updated_at')}")}) FROM {t(take)} t {to_shot}
    WHERE {on_storyboard}
) takes
CROSS JOIN (
    -- Never edited, but what a decision counts for changes without a write to it: a guest's
    -- while their link is live, a deleted account's not (decided_by becomes null).
    SELECT COUNT(*) AS total, MAX(d.{c(decision, "id")}) AS latest,
        SUM(CASE WHEN d.{c(decision, "decided_by")} IS NULL
                  AND d.{c(decision, "guest_name")} = '' THEN 1 ELSE 0 END) AS orphaned,
        SUM(CASE WHEN d.{c(decision, "guest_name")} <> ''
                  AND l.{c(link, "revoked_at")} IS NULL
                  AND l.{c(link, "expires_at")} > %s THEN 1 ELSE 0 END) AS guests
    FROM {t(decision)} d
    JOIN {t(take)} t ON t.{c(take, "id")} = d.{c(decision, "take")} {to_shot}
    LEFT JOIN {t(link)} l ON l.{c(link, "id")} = d.{c(decision, "share_link")}
    WHERE {on_storyboard}
) decisions
CROSS JOIN (
    -- Added, resolved or reopened; a drawing comes with its comment.
    SELECT COUNT(*) AS total, MAX(m.{c(comment, "id")}) AS latest,
        SUM(CASE WHEN m.{c(comment, "resolved")} THEN 1 ELSE 0 END) AS resolved,
        MAX(m.{c(comment, "resolved_at")}) AS resolved_at,
        SUM(CASE WHEN m.{c(comment, "author")} IS NULL
                  AND m.{c(comment, "guest_name")} = '' THEN 1 ELSE 0 END) AS orphaned
    FROM {t(comment)} m
    JOIN {t(take)} t ON t.{c(take, "id")} = m.{c(comment, "take")} {to_shot}
    WHERE {on_storyboard}
) comments
CROSS JOIN (
    -- An owner's decision weighs more under some review rules; a changed role is no new row.
    SELECT COUNT(*), MAX({c(Membership, "id")}), {roles}
    FROM {t(Membership)} WHERE {c(Membership, "team")} = (
        SELECT p2.{c(Project, "team")} FROM {t(Project)} p2
        JOIN {t(Storyboard)} sb2 ON sb2.{c(Storyboard, "project")} = p2.{c(Project, "id")}
        WHERE sb2.{c(Storyboard, "id")} = %s
    )
) members
WHERE sb.{c(Storyboard, "id")} = %s
"""  # noqa: S608


# The row's first columns: what the live pulse (live.py) reads on every poll as well.
MOVING_COLUMNS = 12


def _row(storyboard: Storyboard, now: datetime) -> tuple:
    # The titles in the page's head, the team's review rule, and the project's brand kit: its
    # style line changes the prompt as sent and the Generate button (updated_at covers it).
    at = connection.ops.adapt_datetimefield_value(now)
    pk = storyboard.pk
    params = [pk, pk, at, pk, pk, *Role.values, pk, pk]
    with connection.cursor() as cursor:
        cursor.execute(_row_sql(), params)
        return cursor.fetchone()


def _elements(kit_id: int | None) -> list:
    # An element edited keeps its row and has no timestamp: its text is read (a kit holds a
    # handful), since @name expands into every prompt as sent. No kit, nothing to read.
    if kit_id is None:
        return []
    rows = Element.objects.filter(kit_id=kit_id).order_by("pk")
    return list(rows.values_list("name", "description"))


def _prices() -> list:
    # Every card shows its estimated cost from its model's price; the catalog is a few rows.
    return list(
        VideoModel.objects.order_by("pk").values_list(
            "pk", "name", "price_per_second", "typical_render_seconds"
        )
    )


def _digest(parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def _slow_parts(row: tuple) -> list:
    slow = row[MOVING_COLUMNS:]
    return [slow, _elements(slow[3]), _prices()]


def storyboard_version(storyboard: Storyboard, *, now: datetime | None = None) -> str:
    """A short string that differs whenever the storyboard's page or live answer draws
    something different (who is present aside: it is not part of the version); `now` decides
    which guests' links are still live."""
    row = _row(storyboard, now or timezone.now())
    return _digest([row[:MOVING_COLUMNS], *_slow_parts(row)])


def slow_version(storyboard: Storyboard, *, now: datetime) -> str:
    """The version of what the live pulse does not see (titles, the review rule, the kit and
    its elements, prices, roles, what decisions count for): when it moves, every card may
    draw differently."""
    return _digest(_slow_parts(_row(storyboard, now)))
