# ruff: noqa: S608  (SQL built from this module's own table names and constants; values are parameters)
"""Daily score rollups, and daily and weekly property rollups: kept by database triggers,
read by the selectors where they can answer.

Why triggers rather than the services: responses change through many paths (the ingest API,
the REST and Delighted APIs, the triage services, erasure, cascades of a project, survey or
person deletion, and the import, which loads by PostgreSQL ``COPY``). A trigger sees every one
of them, raw SQL included, inside the writing transaction, so the rollups can never drift from
the responses. On PostgreSQL the triggers are per statement with transition tables: one
``COPY`` of a million rows costs one grouped upsert, not a million. On SQLite they are per row
and compute the project's local day with ``promoter_local_day()``, a function every Django
connection registers (see :func:`register_sqlite_functions`).

How the selectors use them: a period is cut into whole local days of the project's timezone,
read from the rollups, and the partial days at its two ends, counted from the responses (with
the same filter, so the sum is the raw figure exactly). Filters the rollups cannot answer
(tags, comments, text, sentiment, more than one property condition, ...) fall back to the raw
computation for the whole period. :func:`raw_only` forces that fallback (tests compare both).
The property histograms read the whole weeks among the whole days from the weekly rollup
(:func:`weeks`): a property with thousands of values has about one daily row per response,
and eight times fewer weekly rows (a million responses, 2,000 accounts: 888k and 105k).
"""

from __future__ import annotations

import contextvars
import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from promoter.core.zones import zone

MAX_TEXT = 200  # longest property key and value stored; a longer value is stored as ""
SLOTS = 4  # PostgreSQL: rows per key that concurrent writers spread over
RESPONSES = "responses_response"
PROJECTS = "accounts_project"
SCORES = "analytics_dailyscore"
PROPERTIES = "analytics_dailyproperty"
WEEKS = "analytics_weeklyproperty"
# The weekly rollup's count columns: one per score a response can hold (0-10, its CHECK).
SCORE_COLUMNS = tuple(f"n{k}" for k in range(11))
# What the triggers compare to decide whether an update changes the rollups.
TRACKED = ("project_id", "survey_id", "channel", "score", "created_at", "excluded", "properties")

_raw = contextvars.ContextVar("promoter_rollups_raw_only", default=False)


@contextmanager
def raw_only() -> Iterator[None]:
    """Make the selectors inside this block count from the responses only (no rollups)."""
    token = _raw.set(True)
    try:
        yield
    finally:
        _raw.reset(token)


def enabled() -> bool:
    """Return whether the selectors may read the rollups now."""
    return not _raw.get()


# --- whole local days ---------------------------------------------------------------------


def project_tz(name: str) -> datetime.tzinfo:
    """Return the timezone ``name`` (a project's), UTC when it is unknown."""
    return zone(name)


def midnight(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    """Return the first instant (UTC) of local ``day`` in ``tz``."""
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=tz).astimezone(datetime.UTC)


def _clean(day: datetime.date, tz: datetime.tzinfo) -> bool:
    """Return whether the local date steps from before ``day`` to ``day`` exactly once, at
    its midnight: not so where a clock goes back across midnight (then the instants just
    after midnight belong to the day before, and whole days would not add up to a period)."""
    start = midnight(day, tz)
    for quarter in range(-12, 13):
        moment = start + datetime.timedelta(minutes=15 * quarter)
        if (moment.astimezone(tz).date() >= day) != (moment >= start):
            return False
    return True


@dataclass(frozen=True)
class Split:
    """A period [since, until) as whole local days [first, end) for the rollups (None: open)
    and the parts at its ends, [since, head) and [tail, until), for the responses."""

    first: datetime.date | None
    end: datetime.date | None
    head: tuple[datetime.datetime | None, datetime.datetime] | None
    tail: tuple[datetime.datetime, datetime.datetime | None] | None

    def day_filter(self) -> dict[str, datetime.date]:
        """Return the ORM filter on a rollup's ``day`` for the whole days."""
        lookups = {}
        if self.first is not None:
            lookups["day__gte"] = self.first
        if self.end is not None:
            lookups["day__lt"] = self.end
        return lookups


@dataclass(frozen=True)
class Weeks:
    """Whole local days [first, end) of a :class:`Split` as whole weeks [first_week,
    end_week) (Mondays; None: open), read from the weekly rollup, and the days around them,
    ``days``, read from the daily one."""

    first_week: datetime.date | None
    end_week: datetime.date | None
    days: tuple[tuple[datetime.date, datetime.date], ...]

    def week_filter(self) -> dict[str, datetime.date]:
        """Return the ORM filter on the weekly rollup's ``week`` for the whole weeks."""
        lookups = {}
        if self.first_week is not None:
            lookups["week__gte"] = self.first_week
        if self.end_week is not None:
            lookups["week__lt"] = self.end_week
        return lookups


def weeks(cut: Split) -> Weeks | None:
    """Return the whole weeks of ``cut``'s whole days and the days around them, or None when
    they hold no whole week."""
    first_week = (
        None if cut.first is None else cut.first + datetime.timedelta(days=-cut.first.weekday() % 7)
    )
    end_week = None if cut.end is None else cut.end - datetime.timedelta(days=cut.end.weekday())
    if first_week is not None and end_week is not None and first_week >= end_week:
        return None
    days = []
    if cut.first is not None and first_week is not None and cut.first < first_week:
        days.append((cut.first, first_week))
    if cut.end is not None and end_week is not None and end_week < cut.end:
        days.append((end_week, cut.end))
    return Weeks(first_week=first_week, end_week=end_week, days=tuple(days))


def split(
    since: datetime.datetime | None, until: datetime.datetime | None, tz: datetime.tzinfo
) -> Split | None:
    """Return [since, until) cut into whole local days of ``tz`` and the partial ends, or
    None when it holds no whole day."""
    first = end = None
    head = tail = None
    if since is not None:
        first = since.astimezone(tz).date()
        if midnight(first, tz) < since or not _clean(first, tz):
            first += datetime.timedelta(days=1)
        for _ in range(7):
            if _clean(first, tz):
                break
            first += datetime.timedelta(days=1)
        else:
            return None
        head = (since, midnight(first, tz))
    if until is not None:
        end = until.astimezone(tz).date()
        for _ in range(7):
            if midnight(end, tz) <= until and _clean(end, tz):
                break
            end -= datetime.timedelta(days=1)
        else:
            return None
        tail = (midnight(end, tz), until)
    if first is not None and end is not None and first >= end:
        return None
    return Split(
        first=first,
        end=end,
        head=head if head is not None and head[0] < head[1] else None,
        tail=tail if tail is not None and tail[0] < tail[1] else None,
    )


# --- SQLite: the local day of a stored timestamp -------------------------------------------


@functools.lru_cache(maxsize=64)
def _zone(name: str | None) -> datetime.tzinfo:
    return project_tz(name or "UTC")


def local_day(created_at: str | None, tz_name: str | None) -> str | None:
    """Return the ISO local date, in ``tz_name``, of a UTC timestamp as SQLite stores it."""
    if created_at is None:
        return None
    moment = datetime.datetime.fromisoformat(created_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(_zone(tz_name)).date().isoformat()


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Register ``promoter_local_day()`` on a new SQLite connection (the triggers use it)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "promoter_local_day", 2, local_day, deterministic=True
        )


# --- the rebuild (also the SQL of a timezone change) ----------------------------------------


def json_object_sql(vendor: str, column: str) -> str:
    """Return the SQL of JSON ``column`` when it holds an object, else of an empty object."""
    if vendor == "postgresql":
        return f"CASE WHEN jsonb_typeof({column}) = 'object' THEN {column} ELSE '{{}}'::jsonb END"
    return (
        f"CASE WHEN json_valid({column}) AND json_type({column}) = 'object'"
        f" THEN {column} ELSE '{{}}' END"
    )


def _text(vendor: str) -> str:
    """Return the text of a property value ``j`` as the raw selectors read it: ``->>`` on
    PostgreSQL; on SQLite what Django's key transform gives, the type name for JSON null,
    true and false, the value otherwise."""
    if vendor == "postgresql":
        return "j.value"
    return "(CASE WHEN j.type IN ('null', 'true', 'false') THEN j.type ELSE j.value END)"


def _stored(vendor: str) -> tuple[str, str]:
    """Return the stored value of property ``j`` ("" when too long) and the condition for
    storing it at all (a value to show, a key short enough)."""
    text = _text(vendor)
    value = f"CASE WHEN length({text}) > {MAX_TEXT} THEN '' ELSE {text} END"
    keep = f"{text} IS NOT NULL AND {text} <> '' AND length(j.key) <= {MAX_TEXT}"
    return value, keep


def _week(vendor: str, day: str) -> str:
    """Return the SQL of the Monday of the week of ``day`` (a date expression)."""
    if vendor == "postgresql":
        return f"({day} - (EXTRACT(ISODOW FROM {day})::int - 1))"
    return f"date({day}, '-6 days', 'weekday 1')"


def _per_score(score: str, count: str) -> list[str]:
    """Return the SQL of the weekly rollup's count columns: ``count`` summed per score."""
    return [
        f"SUM(CASE WHEN {score} = {k} THEN {count} ELSE 0 END)" for k in range(len(SCORE_COLUMNS))
    ]


def _add_columns(table: str) -> str:
    """Return the SET clause that adds an upsert's counts to the weekly row."""
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SCORE_COLUMNS)


def rebuild_statements(vendor: str, where: str) -> list[str]:
    """Return the SQL that adds the rollups of the responses ``where`` selects (a condition
    on ``r``, the responses) to the tables, adding to rows already there."""
    if vendor == "postgresql":
        # MATERIALIZED: the timezone check runs once per project, not once per response.
        prefix = (
            "WITH zones AS MATERIALIZED (SELECT id, promoter_rollup_tz(timezone) AS tz"
            f" FROM {PROJECTS}) "
        )
        source = f"{RESPONSES} r JOIN zones z ON z.id = r.project_id"
        day = "(r.created_at AT TIME ZONE z.tz)::date"
        each = f"jsonb_each_text({json_object_sql(vendor, 'r.properties')}) j"
    else:
        prefix = ""
        source = f"{RESPONSES} r JOIN {PROJECTS} z ON z.id = r.project_id"
        day = "promoter_local_day(r.created_at, z.timezone)"
        each = f"json_each({json_object_sql(vendor, 'r.properties')}) j"
    value, keep = _stored(vendor)
    return [
        f"{prefix}INSERT INTO {SCORES} (project_id, survey_id, day, channel, score, slot, n)"
        f" SELECT r.project_id, r.survey_id, {day}, r.channel, r.score, 0, COUNT(*)"
        f" FROM {source} WHERE NOT r.excluded AND ({where})"
        " GROUP BY 1, 2, 3, 4, 5"
        " ON CONFLICT (survey_id, day, channel, score, slot)"
        f" DO UPDATE SET n = {SCORES}.n + excluded.n",
        f"{prefix}INSERT INTO {PROPERTIES}"
        " (project_id, survey_id, day, key, value, score, slot, n)"
        f" SELECT r.project_id, r.survey_id, {day}, j.key, {value}, r.score, 0, COUNT(*)"
        f" FROM {source}, {each}"
        f" WHERE NOT r.excluded AND ({where}) AND {keep}"
        " GROUP BY 1, 2, 3, 4, 5, 6"
        " ON CONFLICT (survey_id, key, day, value, score, slot)"
        f" DO UPDATE SET n = {PROPERTIES}.n + excluded.n",
        f"{prefix}INSERT INTO {WEEKS}"
        f" (project_id, survey_id, week, key, value, slot, {', '.join(SCORE_COLUMNS)})"
        f" SELECT r.project_id, r.survey_id, {_week(vendor, day)}, j.key, {value}, 0,"
        f" {', '.join(_per_score('r.score', '1'))}"
        f" FROM {source}, {each}"
        f" WHERE NOT r.excluded AND ({where}) AND {keep}"
        " GROUP BY 1, 2, 3, 4, 5"
        " ON CONFLICT (survey_id, key, week, value, slot)"
        f" DO UPDATE SET {_add_columns(WEEKS)}",
    ]


def rebuild(
    *,
    project_ids: list[int] | None = None,
    using: BaseDatabaseWrapper | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute the rollups of ``project_ids`` (every project by default) from the responses,
    a month at a time (``progress(done, total)`` after each); return the responses counted.

    Run it inside a transaction: on PostgreSQL it locks the responses against writes until
    the end, so no write can land between the delete and the recount.
    """
    conn = using or default_connection
    vendor = conn.vendor
    with conn.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {RESPONSES} IN SHARE MODE")
        if project_ids is None:
            cursor.execute(f"SELECT id FROM {PROJECTS} ORDER BY id")
            project_ids = [row[0] for row in cursor.fetchall()]
        months: list[tuple[int, datetime.datetime, datetime.datetime]] = []
        for project_id in project_ids:
            cursor.execute(f"DELETE FROM {SCORES} WHERE project_id = %s", [project_id])
            cursor.execute(f"DELETE FROM {PROPERTIES} WHERE project_id = %s", [project_id])
            cursor.execute(f"DELETE FROM {WEEKS} WHERE project_id = %s", [project_id])
            cursor.execute(
                f"SELECT MIN(created_at), MAX(created_at) FROM {RESPONSES} WHERE project_id = %s",
                [project_id],
            )
            low, high = cursor.fetchone()
            if low is None:
                continue
            low, high = _aware(low), _aware(high)
            # UTC months; a local day that spans two adds up in its row (the upserts).
            start = datetime.datetime(low.year, low.month, 1, tzinfo=datetime.UTC)
            while start <= high:
                stop = (start + datetime.timedelta(days=32)).replace(day=1)
                months.append((project_id, start, stop))
                start = stop
        counted = 0
        for done, (project_id, start, stop) in enumerate(months, 1):
            where = "r.project_id = %s AND r.created_at >= %s AND r.created_at < %s"
            for statement in rebuild_statements(vendor, where):
                cursor.execute(statement, [project_id, start, stop])
            cursor.execute(
                f"SELECT COUNT(*) FROM {RESPONSES} r WHERE NOT r.excluded AND {where}",
                [project_id, start, stop],
            )
            counted += cursor.fetchone()[0]
            if progress is not None:
                progress(done, len(months))
    return counted


def prune(
    project_id: int,
    days: Iterable[datetime.date],
    *,
    using: BaseDatabaseWrapper | None = None,
) -> int:
    """Delete the property rollup rows of ``project_id`` around ``days`` (UTC dates: the local
    day can be one either side), daily and weekly, whose slots add up to zero; return how
    many went.

    A removal leaves zero counts behind, and a property rollup row holds its value (a name,
    a company): erasure calls this so none of the person's values outlives their responses.
    On PostgreSQL it locks the property rollups against concurrent writers until the end of
    the transaction, so no count lands on a group between its sum and its deletion.
    """
    local_days = sorted({d + datetime.timedelta(days=k) for d in days for k in (-1, 0, 1)})
    if not local_days:
        return 0
    weeks = sorted({d - datetime.timedelta(days=d.weekday()) for d in local_days})
    conn = using or default_connection
    day_marks = ", ".join(["%s"] * len(local_days))
    week_marks = ", ".join(["%s"] * len(weeks))
    group = "survey_id, key, day, value, score"
    week_group = "survey_id, key, week, value"
    empty = " AND ".join(f"SUM({c}) = 0" for c in SCORE_COLUMNS)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {PROPERTIES}, {WEEKS} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            f"DELETE FROM {PROPERTIES} WHERE project_id = %s AND day IN ({day_marks})"
            f" AND ({group}) IN (SELECT {group} FROM {PROPERTIES}"
            f"  WHERE project_id = %s AND day IN ({day_marks})"
            f"  GROUP BY {group} HAVING SUM(n) = 0)",
            [project_id, *local_days, project_id, *local_days],
        )
        pruned = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {WEEKS} WHERE project_id = %s AND week IN ({week_marks})"
            f" AND ({week_group}) IN (SELECT {week_group} FROM {WEEKS}"
            f"  WHERE project_id = %s AND week IN ({week_marks})"
            f"  GROUP BY {week_group} HAVING {empty})",
            [project_id, *weeks, project_id, *weeks],
        )
        return int(pruned + cursor.rowcount)


def _aware(value: Any) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value  # type: ignore[no-any-return]


def install_sql(vendor: str) -> list[str]:
    """Return the SQL that creates the triggers keeping the rollups (for a migration)."""
    if vendor == "postgresql":
        return _postgresql_install()
    if vendor == "sqlite":
        return _sqlite_install()
    raise NotImplementedError(f"rollup triggers for {vendor} databases")


def uninstall_sql(vendor: str) -> list[str]:
    """Return the SQL that drops what :func:`install_sql` created."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS promoter_rollup_insert ON {RESPONSES}",
            f"DROP TRIGGER IF EXISTS promoter_rollup_update ON {RESPONSES}",
            f"DROP TRIGGER IF EXISTS promoter_rollup_delete ON {RESPONSES}",
            f"DROP TRIGGER IF EXISTS promoter_rollup_timezone ON {PROJECTS}",
            "DROP FUNCTION IF EXISTS promoter_rollup_insert()",
            "DROP FUNCTION IF EXISTS promoter_rollup_update()",
            "DROP FUNCTION IF EXISTS promoter_rollup_delete()",
            "DROP FUNCTION IF EXISTS promoter_rollup_timezone()",
            "DROP FUNCTION IF EXISTS promoter_rollup_tz(text)",
        ]
    return [
        f"DROP TRIGGER IF EXISTS promoter_rollup_{name}"
        for name in ("insert", "update", "delete", "timezone")
    ]


# --- PostgreSQL: statement triggers over transition tables ----------------------------------


def _pg_apply(changed: str) -> str:
    """Return the PL/pgSQL statement that adds the signed rows of ``changed`` (a SELECT of
    the tracked columns and ``d``, +1 or -1) to both rollups: one statement, one grouped
    upsert per rollup.

    ``changed`` is read once, and its rows are first summed per project, survey, local day,
    channel, score and set of properties, so the properties are taken apart once per set, not
    once per row (a million imported rows repeat a few sets: 11.7 s became 2.8 s). The
    daily and the weekly property rollups read the same pairs of key and value.
    A removal may leave one slot negative while another holds the count: reads sum the
    slots. Each table's rows are written in key order, by one statement that every writer runs
    alike (the scores in the main statement, the daily and weekly properties in its
    data-modifying CTEs), so concurrent writers lock in one order.
    """
    each = f"jsonb_each_text({json_object_sql('postgresql', 'k.properties')}) j"
    value, keep = _stored("postgresql")
    slot = f"pg_backend_pid() % {SLOTS}"
    folded = ", ".join(_per_score("p.score", "p.d"))
    changes = " OR ".join(f"{total} <> 0" for total in _per_score("p.score", "p.d"))
    return f"""
    WITH changed AS ({changed}),
    zones AS MATERIALIZED (SELECT id, promoter_rollup_tz(timezone) AS tz FROM {PROJECTS}
      WHERE id IN (SELECT DISTINCT project_id FROM changed)),
    keyed AS MATERIALIZED (SELECT c.project_id, c.survey_id,
      (c.created_at AT TIME ZONE z.tz)::date AS day, c.channel, c.score, c.properties,
      SUM(c.d)::bigint AS d
      FROM changed c JOIN zones z ON z.id = c.project_id GROUP BY 1, 2, 3, 4, 5, 6),
    pairs AS MATERIALIZED (SELECT k.project_id, k.survey_id, k.day, j.key, {value} AS value,
      k.score, k.d FROM keyed k, {each} WHERE {keep}),
    properties AS (
      INSERT INTO {PROPERTIES} AS t (project_id, survey_id, day, key, value, score, slot, n)
      SELECT p.project_id, p.survey_id, p.day, p.key, p.value, p.score, {slot}, SUM(p.d)
      FROM pairs p
      GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(p.d) <> 0 ORDER BY 2, 4, 3, 5, 6
      ON CONFLICT (survey_id, key, day, value, score, slot) DO UPDATE SET n = t.n + EXCLUDED.n),
    weeks AS (
      INSERT INTO {WEEKS} AS t
        (project_id, survey_id, week, key, value, slot, {", ".join(SCORE_COLUMNS)})
      SELECT p.project_id, p.survey_id, {_week("postgresql", "p.day")}, p.key, p.value, {slot},
        {folded}
      FROM pairs p
      GROUP BY 1, 2, 3, 4, 5 HAVING {changes} ORDER BY 2, 4, 3, 5
      ON CONFLICT (survey_id, key, week, value, slot) DO UPDATE SET {_add_columns("t")})
    INSERT INTO {SCORES} AS t (project_id, survey_id, day, channel, score, slot, n)
    SELECT project_id, survey_id, day, channel, score, {slot}, SUM(d) FROM keyed
    GROUP BY 1, 2, 3, 4, 5 HAVING SUM(d) <> 0 ORDER BY 2, 3, 4, 5
    ON CONFLICT (survey_id, day, channel, score, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
    """


def apply_sql(changed: str) -> str:
    """Return one PostgreSQL statement that adds the rows of ``changed`` (a SELECT of
    :data:`TRACKED` and ``d``, which may hold ``%(name)s`` parameters) to both rollups, as the
    insert trigger does: for a writer that skipped the trigger (the bulk import)."""
    return _pg_apply("{changed}").replace("%", "%%").replace("{changed}", changed)


def _pg_rows(table: str, sign: int) -> str:
    columns = ", ".join(TRACKED)
    return f"SELECT {columns}, {sign} AS d FROM {table} WHERE NOT excluded"


def _postgresql_install() -> list[str]:
    return _postgresql_functions() + _postgresql_triggers()


def _postgresql_functions() -> list[str]:
    compared = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in TRACKED)
    rebuild = "\n".join(
        f"    {s};" for s in rebuild_statements("postgresql", "r.project_id = NEW.id")
    )
    return [
        # The project's timezone as PostgreSQL knows it, UTC when it does not (as in Python).
        """
        CREATE OR REPLACE FUNCTION promoter_rollup_tz(name text) RETURNS text
        LANGUAGE plpgsql STABLE AS $$
        BEGIN
            PERFORM now() AT TIME ZONE name;
            RETURN name;
        EXCEPTION WHEN OTHERS THEN
            RETURN 'UTC';
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION promoter_rollup_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
        {_pg_apply(_pg_rows("new_rows", 1))}
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION promoter_rollup_delete() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
        {_pg_apply(_pg_rows("old_rows", -1))}
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION promoter_rollup_update() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- A comment, a status or a tag change leaves the rollups as they are.
            IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                           WHERE {compared}) THEN
                RETURN NULL;
            END IF;
        {_pg_apply(_pg_rows("old_rows", -1) + " UNION ALL " + _pg_rows("new_rows", 1))}
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION promoter_rollup_timezone() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            LOCK TABLE {RESPONSES} IN SHARE MODE;
            DELETE FROM {SCORES} WHERE project_id = NEW.id;
            DELETE FROM {PROPERTIES} WHERE project_id = NEW.id;
            DELETE FROM {WEEKS} WHERE project_id = NEW.id;
        {rebuild}
            RETURN NULL;
        END $$
        """,
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"""CREATE TRIGGER promoter_rollup_insert AFTER INSERT ON {RESPONSES}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION promoter_rollup_insert()""",
        f"""CREATE TRIGGER promoter_rollup_update AFTER UPDATE ON {RESPONSES}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
        EXECUTE FUNCTION promoter_rollup_update()""",
        f"""CREATE TRIGGER promoter_rollup_delete AFTER DELETE ON {RESPONSES}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
        EXECUTE FUNCTION promoter_rollup_delete()""",
        f"""CREATE TRIGGER promoter_rollup_timezone AFTER UPDATE OF timezone ON {PROJECTS}
        FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
        EXECUTE FUNCTION promoter_rollup_timezone()""",
    ]


# --- SQLite: row triggers ----------------------------------------------------------------


def _sqlite_add(row: str, sign: int) -> str:
    """Return the statements that add (+1) or take away (-1) response ``row`` (NEW or OLD)."""
    day = (
        f"promoter_local_day({row}.created_at,"
        f" (SELECT timezone FROM {PROJECTS} WHERE id = {row}.project_id))"
    )
    each = f"json_each({json_object_sql('sqlite', row + '.properties')}) j"
    value, keep = _stored("sqlite")
    week = _week("sqlite", day)
    columns = ", ".join(SCORE_COLUMNS)
    if sign > 0:
        ones = ", ".join(f"{row}.score = {k}" for k in range(len(SCORE_COLUMNS)))
        return f"""
        INSERT INTO {SCORES} (project_id, survey_id, day, channel, score, slot, n)
        SELECT {row}.project_id, {row}.survey_id, {day}, {row}.channel, {row}.score, 0, 1
        WHERE NOT {row}.excluded
        ON CONFLICT (survey_id, day, channel, score, slot) DO UPDATE SET n = n + 1;
        INSERT INTO {PROPERTIES} (project_id, survey_id, day, key, value, score, slot, n)
        SELECT {row}.project_id, {row}.survey_id, {day}, j.key, {value}, {row}.score, 0, 1
        FROM {each} WHERE NOT {row}.excluded AND {keep}
        ON CONFLICT (survey_id, key, day, value, score, slot) DO UPDATE SET n = n + 1;
        INSERT INTO {WEEKS} (project_id, survey_id, week, key, value, slot, {columns})
        SELECT {row}.project_id, {row}.survey_id, {week}, j.key, {value}, 0, {ones}
        FROM {each} WHERE NOT {row}.excluded AND {keep}
        ON CONFLICT (survey_id, key, week, value, slot) DO UPDATE SET {_add_columns(WEEKS)};
        """
    taken = ", ".join(f"{c} = {c} - ({row}.score = {k})" for k, c in enumerate(SCORE_COLUMNS))
    return f"""
        UPDATE {SCORES} SET n = n - 1
        WHERE NOT {row}.excluded AND survey_id = {row}.survey_id AND day = {day}
          AND channel = {row}.channel AND score = {row}.score AND slot = 0;
        UPDATE {PROPERTIES} SET n = n - 1
        WHERE NOT {row}.excluded AND survey_id = {row}.survey_id AND day = {day}
          AND score = {row}.score AND slot = 0 AND (key, value) IN (
            SELECT j.key, {value} FROM {each} WHERE {keep});
        UPDATE {WEEKS} SET {taken}
        WHERE NOT {row}.excluded AND survey_id = {row}.survey_id AND week = {week}
          AND slot = 0 AND (key, value) IN (SELECT j.key, {value} FROM {each} WHERE {keep});
        """


def _sqlite_install() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TRACKED)
    rebuild = "\n".join(f"    {s};" for s in rebuild_statements("sqlite", "r.project_id = NEW.id"))
    return [
        f"""CREATE TRIGGER promoter_rollup_insert AFTER INSERT ON {RESPONSES}
        BEGIN {_sqlite_add("NEW", 1)} END""",
        f"""CREATE TRIGGER promoter_rollup_delete AFTER DELETE ON {RESPONSES}
        BEGIN {_sqlite_add("OLD", -1)} END""",
        f"""CREATE TRIGGER promoter_rollup_update AFTER UPDATE ON {RESPONSES}
        WHEN {changed}
        BEGIN {_sqlite_add("OLD", -1)} {_sqlite_add("NEW", 1)} END""",
        f"""CREATE TRIGGER promoter_rollup_timezone AFTER UPDATE OF timezone ON {PROJECTS}
        WHEN OLD.timezone IS NOT NEW.timezone
        BEGIN
            DELETE FROM {SCORES} WHERE project_id = NEW.id;
            DELETE FROM {PROPERTIES} WHERE project_id = NEW.id;
            DELETE FROM {WEEKS} WHERE project_id = NEW.id;
        {rebuild}
        END""",
    ]
