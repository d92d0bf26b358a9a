"""History in: responses from a Delighted export, a Wootric export, Promoter's own export or
any spreadsheet (CSV or XLSX), with a column mapping.

Every row is read and checked before anything is written; problems are reported with their
row numbers and then nothing is imported, unless the caller explicitly asks for the valid rows
only. Each response's id is derived from the project and the row's own id (or its content),
so importing the same file twice imports it once. Imported responses are history: they are
not routed to integrations and do not count as contacts for throttles.

Answers to the survey's additional questions come from one column per question, as
Delighted's export writes them: the column's header is the question's text (as asked, the
product's name filled in; any letter case), or ``--map answer:<question id>=<column>`` names
it. A cell holds the choices' texts joined with ", " (their ids too), a rating or a text;
each is checked as every answer is (``answer_clean``), a bad one a problem of its row. A
column that names no question stays a property.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from promoter.accounts.models import Project
from promoter.actions.responses import FUTURE_SLACK
from promoter.analytics import rollups
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.people.properties import MAX_PROPERTIES, MAX_PROPERTY_VALUE, property_name_problem
from promoter.people.statecache import project_people_changed
from promoter.responses.models import Answer, Channel, Response, ResponseTag, Tag
from promoter.responses.services import COMMENT_MAX_CHARS
from promoter.surveys.models import Survey
from promoter.surveys.questions import (
    CHOICE_TYPES,
    QuestionsError,
    answer_clean,
    as_asked,
    fixed_choices,
)
from promoter.surveys.texts import product_name

BATCH = 5000
MAX_PROBLEMS = 50

# Header names (lower case, spaces and dots as written) each field is read from, in order.
ALIASES: dict[str, tuple[str, ...]] = {
    "score": ("score", "nps score", "rating", "response score"),
    "comment": ("comment", "text", "feedback", "response comment", "comments"),
    "created_at": (
        "created_at",
        "created at",
        "response timestamp",
        "timestamp",
        "date",
        "responded at",
        "survey_response.created_at",
        "response date",
    ),
    "email": ("email", "person email", "person_email", "end_user.email", "e-mail"),
    "external_id": (
        "person_id",
        "person id",
        "external_id",
        "external id",
        "user id",
        "user_id",
        "end_user.external_id",
        "customer id",
    ),
    "response_id": ("id", "response id", "response_id", "survey_response.id"),
    "tags": ("tags", "tag"),
    "name": ("name", "person name", "end_user.properties.name"),
    "survey_kind": ("survey_kind", "survey kind"),
}
IGNORED = {
    "category",
    "survey_kind",
    "survey_name",
    "survey_id",
    "sentiment",
    "channel",
    "locale",
    "status",
    "updated_at",
    "url",
    "person",
    "nps",
    "survey type",
    "end_user.id",
}
PROPERTY_PREFIXES = ("property:", "properties.", "end_user.properties.", "property ")
ANSWER_MAP = "answer:"  # --map answer:<question id>=<column>


@dataclass(slots=True)
class Row:
    number: int
    score: int
    comment: str
    created_at: datetime.datetime
    email: str
    external_id: str
    response_key: str
    tags: list[str]
    properties: dict[str, Any] = field(default_factory=dict)
    survey: Survey | None = None  # when the file names the survey kind of each row
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # stored, by question


@dataclass
class Plan:
    """What a file holds, checked: its rows, and the problems that stop the import."""

    rows: list[Row]
    problems: list[str]
    total: int
    columns: dict[str, str]  # field -> header used
    answers: dict[str, str] = field(default_factory=dict)  # question id -> header used

    @property
    def ok(self) -> bool:
        return not self.problems


def read_table(data: bytes, filename: str = "") -> Iterator[list[str]]:
    """Yield the rows of a CSV or XLSX file.

    CSV text may be UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM, or Windows-1252
    (Latin-1's superset, what Excel writes). Anything else is refused with an
    :class:`ApplicationError` naming the row and the problem: bytes of two encodings in one
    file, binary data, a quote never closed, a workbook that is not one.
    """
    if data[:2] == b"PK":
        yield from _read_workbook(data)
        return
    if filename.lower().endswith((".xlsx", ".xlsm")):
        looks = "CSV text" if b"," in data[:4096] or b";" in data[:4096] else "not a workbook"
        raise ApplicationError(
            code="invalid",
            detail=f"{filename} is not an XLSX workbook ({looks}): save it again as XLSX, or"
            " give it a .csv name if it is CSV.",
            fields={"file": "not xlsx"},
        )
    text = decode_csv(data)
    yield from _csv_rows(text)


def _read_workbook(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    number = 0
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # Read-only workbooks parse as they are iterated: a broken sheet fails here, mid-way.
        for number, values in enumerate(book.active.iter_rows(values_only=True), start=1):  # noqa: B007
            yield [
                "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
                for v in values
            ]
    except ApplicationError:
        raise
    except Exception as exc:  # a broken, truncated or password-protected workbook
        where = f" after row {number}" if number else ""
        raise ApplicationError(
            code="invalid",
            detail=f"Cannot read the workbook{where}: {exc or type(exc).__name__}.",
            fields={"file": "xlsx"},
        ) from None


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
# Bytes Windows-1252 leaves undefined: in a text file they mean another encoding.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")
# C0 control characters that no spreadsheet writes in text (tab, newlines and form feed
# are text); one of them means binary data, or UTF-16 without its byte-order mark.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_csv(data: bytes) -> str:
    """Return the text of a CSV file, decoded as its byte-order mark says, else as UTF-8,
    else (when no byte of it is UTF-8 beyond ASCII) as Windows-1252. Raise an
    :class:`ApplicationError` naming the row when the encoding cannot be told safely."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                row = _row_at(data[len(bom) : len(bom) + exc.start].decode(codec, "replace"))
                raise ApplicationError(
                    code="invalid",
                    detail=f"Row {row} is not valid {name}, though the file starts with a"
                    f" {name} byte-order mark: save it again as UTF-8.",
                    fields={"file": "encoding"},
                ) from None
            return _checked_text(text)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        _checked_bytes(data, "utf-8")
        return text
    prefix = data[:first_bad]
    if _has_utf8_beyond_ascii(data):
        row = _row_at(prefix.decode("utf-8", "replace"))
        raise ApplicationError(
            code="invalid",
            detail=f"Row {row} is not UTF-8 (byte 0x{data[first_bad]:02X}) but other rows are:"
            " the file mixes two encodings. Save it again as UTF-8.",
            fields={"file": "encoding"},
        )
    _checked_bytes(data, "cp1252")  # binary data: say so, not "encoding"
    hole = next((i for i, byte in enumerate(data) if byte in _CP1252_HOLES), None)
    if hole is not None:
        row = _row_at(data[:hole].decode("cp1252", "replace"))
        raise ApplicationError(
            code="invalid",
            detail=f"Row {row} holds byte 0x{data[hole]:02X}, which is neither UTF-8 nor"
            " Windows-1252 (Latin-1): save the file again as UTF-8.",
            fields={"file": "encoding"},
        )
    return data.decode("cp1252")


def _has_utf8_beyond_ascii(data: bytes) -> bool:
    """Whether ``data`` holds at least one well-formed multi-byte UTF-8 sequence."""
    return (
        re.search(
            rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}", data
        )
        is not None
    )


_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])


def _checked_bytes(data: bytes, codec: str) -> None:
    """Raise naming the row when ``data`` (UTF-8 or Windows-1252, where a C0 control byte is
    that character) holds a control character: found at C speed, located only then."""
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        _checked_text(data.decode(codec, "replace"))


def _checked_text(text: str) -> str:
    found = _CONTROL.search(text)
    if found:
        row = _row_at(text[: found.start()])
        char = ord(found.group())
        hint = " (UTF-16 without a byte-order mark?)" if char == 0 else ""
        raise ApplicationError(
            code="invalid",
            detail=f"Row {row} holds the control character 0x{char:02X}: binary data, not CSV"
            f" text{hint}. Export it again as CSV (UTF-8).",
            fields={"file": "binary"},
        )
    return text


def _row_at(prefix: str) -> int:
    """The row (1 is the header) of the character just after the text ``prefix``."""
    try:
        rows = sum(1 for _ in csv.reader(io.StringIO(prefix)))
    except csv.Error:
        rows = prefix.count("\n") + 1
    return rows + 1 if not prefix or prefix.endswith(("\n", "\r")) else max(rows, 1)


def _csv_rows(text: str) -> Iterator[list[str]]:
    """Yield the records of CSV ``text``, refusing a malformed one by its row number.

    A quote never closed would swallow every row after it into one cell; it leaves an odd
    number of quote characters, so only then is the text read strictly to find the row
    (strict reading costs a third more, on every row)."""
    if text.count('"') % 2:
        _malformed(text, strict=True)
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error:  # a cell over the csv module's field size limit
        _malformed(text, strict=False)


def _malformed(text: str, *, strict: bool) -> None:
    """Raise naming the first record of ``text`` the csv module cannot read."""
    reader = csv.reader(io.StringIO(text), strict=strict)
    good = 0
    try:
        for _ in reader:
            good += 1
    except csv.Error as exc:
        problem = str(exc)
        if "unexpected end of data" in problem:
            problem = "a quoted cell is never closed (an unbalanced quote)"
        elif "expected after" in problem:
            problem = f'{problem} (a quote inside a cell must be doubled: "")'
        raise ApplicationError(
            code="invalid",
            detail=f"Row {good + 1} (from line {_line_of(text, good)}) cannot be read: {problem}.",
            fields={"file": "csv"},
        ) from None


def _line_of(text: str, records: int) -> int:
    """The line on which record ``records + 1`` of ``text`` starts."""
    reader = csv.reader(io.StringIO(text))
    for _ in range(records):
        next(reader, None)
    return reader.line_num + 1


def _norm(header: str) -> str:
    return " ".join(header.strip().lower().split())


def _check_property_columns(properties: Mapping[str, int]) -> None:
    """Refuse a file whose property columns break the limits of every API
    (promoter/people/properties.py): too many, or a name no API takes."""
    if len(properties) > MAX_PROPERTIES:
        raise ApplicationError(
            code="invalid",
            detail=f"The file has {len(properties)} columns that would become properties; a "
            f"person has at most {MAX_PROPERTIES}. Remove the columns you do not need.",
            fields={"file": f"at most {MAX_PROPERTIES} property columns"},
        )
    for name in properties:
        problem = property_name_problem(name)
        if problem:
            raise ApplicationError(
                code="invalid",
                detail=f"The column {name[:40]!r} cannot become a property: {problem}.",
                fields={"file": problem},
            )


def _mapped_column(normalized: list[str], column: str, name: str) -> int:
    """Return the index of ``column`` (a ``--map name=column`` target) among the file's
    normalized headers; refuse, naming the mapping, a column the file does not have."""
    if _norm(column) not in normalized:
        raise ApplicationError(
            code="invalid",
            detail=f"No column {column!r} in the file (for {name}).",
            fields={"map": name},
        )
    return normalized.index(_norm(column))


def _columns(
    header: list[str], mapping: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Return (field -> index, property name -> index) for a header row."""
    normalized = [_norm(h) for h in header]
    fields: dict[str, int] = {}
    for name, column in mapping.items():
        if name not in ALIASES:
            raise ApplicationError(
                code="invalid",
                detail=f"Cannot map {name!r}: map one of {', '.join(ALIASES)}.",
                fields={"map": name},
            )
        fields[name] = _mapped_column(normalized, column, name)
    for name, aliases in ALIASES.items():
        if name in fields:
            continue
        for alias in aliases:
            if alias in normalized:
                fields[name] = normalized.index(alias)
                break
    used = set(fields.values())
    properties: dict[str, int] = {}
    for index, (raw, norm) in enumerate(zip(header, normalized, strict=True)):
        if index in used or not norm or norm in IGNORED:
            continue
        name = raw.strip()
        for prefix in PROPERTY_PREFIXES:
            if norm.startswith(prefix):
                name = raw.strip()[len(prefix) :]
                break
        properties[name] = index
    return fields, properties


def _asked(survey: Survey) -> dict[str, dict[str, Any]]:
    """Return the questions ``survey`` asks now that take an answer, worded as asked, by id."""
    questions = as_asked(survey.published_questions or [], product=product_name(survey.project))
    return {q["id"]: q for q in questions if q["type"] != "message"}


def _answer_columns(
    header: list[str], mapping: Mapping[str, str], asked: Mapping[str, dict[str, Any]]
) -> dict[str, int]:
    """Return question id -> index of the column holding its answers: those ``mapping``
    names (``answer:<id>``), then each column whose header is a question's text (Delighted)
    or ``answer:<id>`` (Promoter's own export)."""
    normalized = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for name, column in mapping.items():
        question_id = name[len(ANSWER_MAP) :]
        if question_id not in asked:
            known = ", ".join(asked) or "none: publish the survey's questions first"
            raise ApplicationError(
                code="invalid",
                detail=f"Cannot map {name!r}: the survey asks no {question_id!r} (it asks "
                f"{known}).",
                fields={"map": name},
            )
        found[question_id] = _mapped_column(normalized, column, name)
    taken = set(found.values())
    for question_id, question in asked.items():
        for text in (_norm(question["text"]), f"{ANSWER_MAP}{question_id}"):
            if question_id in found or text not in normalized:
                continue
            index = normalized.index(text)
            if index not in taken:
                found[question_id] = index
                taken.add(index)
    return found


def _choice_cell(question: Mapping[str, Any], cell: str) -> dict[str, Any]:
    """Return the wire form of a choice question's cell: the choices' texts (or ids) joined
    with ", " (a choice's text may hold ", " itself), or Promoter's export's ids joined with
    "; "; what matches no choice is the Other box's text when the question has one, else
    left for ``answer_clean`` to refuse."""
    by_label: dict[str, str] = {}
    for choice in fixed_choices(question):
        by_label.setdefault(_norm(choice["id"]), choice["id"])
    for choice in fixed_choices(question):
        by_label[_norm(choice["text"])] = choice["id"]
    ids = [part.strip() for part in cell.split(";")]
    if len(ids) > 1 and all(_norm(p) in by_label or p.startswith("other: ") for p in ids):
        cell = ", ".join(ids)  # Promoter's export: choice ids, then "other: <text>"
    parts = cell.split(", ")
    picked: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):  # the longest run of parts that is one choice
            choice_id = by_label.get(_norm(", ".join(parts[i:j])))
            if choice_id is not None:
                picked.append(choice_id)
                i = j
                break
        else:
            rest.append(parts[i])
            i += 1
    leftover = ", ".join(rest).strip()
    if leftover.lower().startswith("other: "):
        leftover = leftover[len("other: ") :].strip()
    if leftover and not question.get("other"):
        picked.append(leftover)  # not a choice: answer_clean says so
        leftover = ""
    return {"choices": picked, "other": leftover} if leftover else {"choices": picked}


def _answer_cell(question: Mapping[str, Any], cell: str, field: str) -> dict[str, Any]:
    """Return the stored answer a cell of ``question``'s column holds; raise QuestionsError
    (naming ``field``) when it is not an answer to it."""
    kind = question["type"]
    if kind in CHOICE_TYPES:
        return answer_clean(question, _choice_cell(question, cell), field)
    if kind == "rating":
        try:
            number = float(cell)
        except ValueError:
            raise QuestionsError(field, f"{cell[:40]!r} is not a rating") from None
        rating = int(number) if number.is_integer() else number
        return answer_clean(question, rating, field)
    return answer_clean(question, cell, field)


def detected(
    header: list[str], mapping: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Return the column each field is read from (with ``mapping``, else as recognised) and
    the columns that become properties (for the Import page's mapping step)."""
    fields, properties = _columns(header, mapping or {})
    return {name: header[index] for name, index in fields.items()}, list(properties)


def _when(
    text: str, tz: datetime.tzinfo, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Return the moment ``text`` names: Unix seconds, an ISO date-time (naive ones in
    ``tz``), or a day alone, taken at its noon, or ``now`` when that is later (a day alone is
    never in the future on its own day)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():  # Unix seconds (Delighted)
        return datetime.datetime.fromtimestamp(int(text), tz=datetime.UTC)
    moment = parse_datetime(text.replace(" UTC", "+00:00"))
    if moment is None:
        day = parse_date(text[:10])
        if day is None:
            return None
        moment = datetime.datetime.combine(day, datetime.time(12), tzinfo=tz)
        if now is not None and moment > now and day == now.astimezone(tz).date():
            moment = now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def plan(
    *,
    survey: Survey,
    table: Iterator[list[str]],
    mapping: Mapping[str, str] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Plan:
    """Read and check every row of ``table`` (its first row is the header). Rows go to
    ``survey``, or, when the file has a ``survey_kind`` column (Promoter's own export), to
    the project's first survey of that kind."""
    checker = Checker(survey=survey, table=table, mapping=mapping)
    rows = list(checker.rows(progress))
    return Plan(
        rows=rows,
        problems=checker.problems,
        total=checker.total,
        columns=checker.columns,
        answers=checker.answer_columns,
    )


class Checker:
    """The rows of a table, checked one by one as :meth:`rows` yields the valid ones; the
    problems (the first ``MAX_PROBLEMS``), ``invalid`` and ``total`` grow as it goes."""

    def __init__(
        self, *, survey: Survey, table: Iterator[list[str]], mapping: Mapping[str, str] | None
    ) -> None:
        try:
            header = next(table)
        except StopIteration:
            raise ApplicationError(
                code="invalid", detail="The file is empty.", fields={"file": "empty"}
            ) from None
        given = mapping or {}
        mapped = {k: v for k, v in given.items() if k.startswith(ANSWER_MAP)}
        fields, properties = _columns(header, {k: v for k, v in given.items() if k not in mapped})
        self.asked = _asked(survey)
        answer_at = _answer_columns(header, mapped, self.asked)
        answer_indexes = set(answer_at.values())
        properties = {n: i for n, i in properties.items() if i not in answer_indexes}
        _check_property_columns(properties)
        missing = [name for name in ("score", "created_at") if name not in fields]
        if missing:
            names = " and ".join(name.replace("_", " ") for name in missing)
            has = ", ".join(repr(h) for h in header[:12] if h.strip()) or "no named columns"
            maps = " ".join(f"--map {name}=<column>" for name in missing)
            raise ApplicationError(
                code="invalid",
                detail=f"No {names} column in row 1, the header (it has {has}): map"
                f" {'them' if len(missing) > 1 else 'one'} ({maps}).",
                fields={"map": ", ".join(missing)},
            )
        by_kind = {
            s.kind: s for s in reversed(list(survey.project.surveys.order_by("created_at", "pk")))
        }
        by_kind[survey.kind] = (
            survey if "survey_kind" not in fields else by_kind.get(survey.kind, survey)
        )
        self.survey, self.table, self.header = survey, table, header
        self.fields, self.properties, self.by_kind = fields, properties, by_kind
        self.columns = {name: header[index] for name, index in fields.items()}
        self.answer_at = answer_at
        self.answer_columns = {q: header[index] for q, index in answer_at.items()}
        self.problems: list[str] = []
        self.total = self.invalid = 0

    def rows(self, progress: Callable[[int], Any] | None = None) -> Iterator[Row]:
        survey, table, header = self.survey, self.table, self.header
        fields, properties, by_kind = self.fields, self.properties, self.by_kind
        problems = self.problems
        tz = datetime.UTC
        total = 0
        now = timezone.now()
        latest = now + FUTURE_SLACK  # the window of every answer (promoter.actions.responses)
        low, high = survey.scale
        # The hot loop (a million rows a run): column indexes and checks bound to locals.
        # A missing field reads the empty cell appended to every row (index ``width``).
        width = len(header)
        at = {name: fields.get(name, width) for name in ALIASES}
        i_score, i_created, i_comment = at["score"], at["created_at"], at["comment"]
        i_email, i_external, i_key, i_tags = (
            at["email"],
            at["external_id"],
            at["response_id"],
            at["tags"],
        )
        i_name = at["name"]
        i_kind = fields.get("survey_kind")
        property_items = list(properties.items())
        answer_items = [(self.asked[q], i) for q, i in self.answer_at.items()]
        survey_pk = survey.pk
        epoch = datetime.datetime.fromtimestamp
        utc = datetime.UTC
        padding = [""] * (width + 1)
        for number, values in enumerate(table, start=2):
            if progress is not None and number % 10_000 == 0:
                progress(10_000)
            if len(values) != width:
                ragged = _ragged(values, width)
                if ragged:
                    total += 1
                    self.total = total
                    self.invalid += 1
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(f"Row {number}: {ragged}.")
                    continue
                values = (values + padding)[:width]  # empty cells past the header's
            values.append("")
            raw_score = values[i_score].strip()
            created_text = values[i_created].strip()
            if not raw_score and not created_text and not any(v.strip() for v in values):
                continue
            total += 1
            self.total = total
            errors = []
            row_survey = survey
            if i_kind is not None:
                kind = values[i_kind].strip().lower()
                if kind not in by_kind:
                    errors.append(f"this project has no {kind or 'unnamed'} survey")
                else:
                    row_survey = by_kind[kind]
                low, high = row_survey.scale
            if raw_score.isdigit() and len(raw_score) < 4:
                score = int(raw_score)
                if not low <= score <= high:
                    errors.append(f"score {raw_score!r} is not a whole number from {low} to {high}")
            else:
                try:
                    score = int(float(raw_score))
                    if float(raw_score) != score or not low <= score <= high:
                        raise ValueError
                except ValueError:
                    errors.append(f"score {raw_score!r} is not a whole number from {low} to {high}")
                    score = low
            if created_text.isdigit() and len(created_text) <= 11:  # Unix seconds (Delighted)
                created: datetime.datetime | None = epoch(int(created_text), tz=utc)
            else:
                created = _when(created_text, tz, now)
            if created is None:
                errors.append(f"date {created_text!r} is not a date")
            elif created > latest:
                errors.append(f"date {created_text!r} is in the future")
            comment = values[i_comment].strip()
            if comment and ("\x00" in comment or len(comment) > COMMENT_MAX_CHARS):
                errors.append(
                    f"comment is longer than {COMMENT_MAX_CHARS} characters or holds a null byte"
                )
            email = values[i_email].strip()
            if email and ("@" not in email or len(email) > 254):
                errors.append(f"e-mail {email!r} is not an address")
            if errors:
                self.invalid += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"Row {number}: " + "; ".join(errors) + ".")
                continue
            props = {}
            for name, index in property_items:
                item = values[index].strip()
                if item:
                    props[name] = item
                    if len(item) > MAX_PROPERTY_VALUE:
                        errors.append(
                            f"property {name!r} is longer than {MAX_PROPERTY_VALUE} characters"
                        )
            if errors:
                self.invalid += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"Row {number}: " + "; ".join(errors) + ".")
                continue
            answers: dict[str, dict[str, Any]] = {}
            if answer_items and row_survey.pk == survey_pk:
                for question, index in answer_items:
                    cell = values[index].strip()
                    if not cell:
                        continue
                    question_id = question["id"]
                    try:
                        answers[question_id] = _answer_cell(question, cell, question_id)
                    except QuestionsError as exc:
                        errors.append(f"answer to {question_id!r}: {exc}")
            if errors:
                self.invalid += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(f"Row {number}: " + "; ".join(errors) + ".")
                continue
            name_value = values[i_name].strip()
            if name_value:
                props["name"] = name_value
            tags_text = values[i_tags].strip()
            yield (
                Row(
                    number,
                    score,
                    comment,
                    created,  # type: ignore[arg-type]
                    email.lower(),
                    values[i_external].strip(),
                    values[i_key].strip() or "|".join(values[:width]),
                    [t.strip() for t in tags_text.replace(";", ",").split(",") if t.strip()]
                    if tags_text
                    else [],
                    props,
                    row_survey,
                    answers,
                )
            )


def _ragged(values: list[str], width: int) -> str:
    """What is wrong with a row of ``len(values) != width`` cells, or "" when only empty
    cells differ (trailing separators, a blank line)."""
    if not any(v.strip() for v in values):
        return ""
    if len(values) > width and not any(v.strip() for v in values[width:]):
        return ""
    return (
        f"it has {len(values)} cells but the header has {width}"
        " (a stray separator, or a quote that spans rows?)"
    )


def _key(r: Row) -> str:
    return f"id:{r.external_id}" if r.external_id else (f"email:{r.email}" if r.email else "")


def _people(
    project: Project, rows: list[Row], known: dict[str, int], snapshots: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Add to ``known`` (person pk per identity key, kept across batches) the people of
    ``rows``: found in the project, else created; and to ``snapshots`` the properties of
    those found (each response keeps them, with its row's over them, as every answer does).
    Return ``known``."""
    wanted = {_key(r) for r in rows} - set(known) - {""}
    if not wanted:
        return known
    by_id = [k[3:] for k in wanted if k.startswith("id:")]
    by_email = [k[6:] for k in wanted if k.startswith("email:")]
    people = EndUser.objects.filter(project=project)
    if by_id:
        for external_id, pk, properties in people.filter(external_id__in=by_id).values_list(
            "external_id", "pk", "properties"
        ):
            known[f"id:{external_id}"] = pk
            if properties:
                snapshots[f"id:{external_id}"] = properties
    if by_email:
        anonymous = people.filter(external_id__isnull=True, email__in=by_email)
        for email, pk, properties in anonymous.values_list("email", "pk", "properties"):
            known[f"email:{email}"] = pk
            if properties:
                snapshots[f"email:{email}"] = properties
    new: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = _key(r)
        if key and key not in known and key not in new:
            new[key] = {
                "public_id": uuid.uuid4(),
                "project_id": project.pk,
                "external_id": r.external_id or None,
                "email": r.email or None,
                "properties": dict(r.properties),
                "first_seen_at": r.created_at,
                "last_seen_at": r.created_at,
            }
    if new:
        _insert(list(new.values()), EndUser)
        ids = dict(
            EndUser.objects.filter(
                public_id__in=[v["public_id"] for v in new.values()]
            ).values_list("public_id", "pk")
        )
        for key, values in new.items():
            known[key] = ids[values["public_id"]]
    return known


def response_id(project: Project, survey: Survey, key: str, created_at: datetime.datetime) -> str:
    """Return the id (32 hex digits) of an imported row's response: the same for the same
    row every time, so a second import skips it. A UUIDv8 whose first 48 bits are the
    response's time in milliseconds (index inserts stay in order, as for UUIDv7) and whose
    other bits are the MD5 of project, survey and the row's own id (or its content)."""
    return _response_id(f"{project.public_id}:{survey.public_id}:", key, created_at)


def _response_id(prefix: str, key: str, created_at: datetime.datetime) -> str:
    """:func:`response_id` with the project and survey part of the digested text given (the
    import's hot loop formats it once per survey, not once per row)."""
    digest = hashlib.md5(f"{prefix}{key}".encode(), usedforsecurity=False).hexdigest()
    millis = int(created_at.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
    return f"{millis:012x}8{digest[13:16]}{_VARIANT[digest[16]]}{digest[17:]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def import_rows(
    *,
    survey: Survey,
    rows: list[Row],
    progress: Callable[[int], Any] | None = None,
    sentiment: bool = True,
) -> tuple[int, int]:
    """Store ``rows`` as responses of ``survey`` in one transaction; return (imported, already
    there). Rows whose response is already stored (the same file again) are skipped."""
    with transaction.atomic():
        project_people_changed(survey.project_id)  # people and histories change in bulk
        if connection.vendor == "postgresql":
            return _import_postgres(survey, rows, progress, sentiment)
        return _import_batches(survey, rows, progress, sentiment)


@dataclass
class Outcome:
    imported: int
    already: int
    checker: Checker


def import_table(
    *,
    survey: Survey,
    table: Iterator[list[str]],
    mapping: Mapping[str, str] | None = None,
    valid_only: bool = False,
    sentiment: bool = True,
    checked: Callable[[int], Any] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Outcome:
    """Check every row of ``table``, then import them: all or nothing (with a problem
    anywhere, nothing), or only the valid rows with ``valid_only``."""
    checker = Checker(survey=survey, table=table, mapping=mapping)
    rows = list(checker.rows(checked))
    if checker.invalid and not valid_only:
        return Outcome(0, 0, checker)
    imported, already = import_rows(
        survey=survey, rows=rows, progress=progress, sentiment=sentiment
    )
    return Outcome(imported, already, checker)


def _import_batches(
    survey: Survey, rows: list[Row], progress: Callable[[int], Any] | None, sentiment: bool
) -> tuple[int, int]:
    from promoter.text.sentiment import sentiment_for

    project = survey.project
    imported = skipped = 0
    known: dict[str, int] = {}
    snapshots: dict[str, dict[str, Any]] = {}
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        people = _people(project, batch, known, snapshots)
        ids = {
            r.number: uuid.UUID(
                response_id(project, r.survey or survey, r.response_key, r.created_at)
            )
            for r in batch
        }
        existing = set(
            Response.objects.filter(public_id__in=list(ids.values())).values_list(
                "public_id", flat=True
            )
        )
        fresh: list[dict[str, Any]] = []
        tagged: list[tuple[uuid.UUID, list[str]]] = []
        answered: list[tuple[uuid.UUID, Row]] = []
        for r in batch:
            if ids[r.number] in existing:
                skipped += 1
                continue
            existing.add(ids[r.number])
            key = _key(r)
            values = {
                "public_id": ids[r.number],
                "project_id": project.pk,
                "survey_id": (r.survey or survey).pk,
                "end_user_id": people.get(key),
                "score": r.score,
                "comment": r.comment,
                "channel": Channel.IMPORT,
                "properties": {**snapshots[key], **r.properties}
                if key in snapshots
                else r.properties,
                "sentiment": sentiment_for(r.comment) if sentiment and r.comment else None,
                "created_at": r.created_at,
                "updated_at": r.created_at,
            }
            fresh.append(values)
            if r.tags:
                tagged.append((ids[r.number], r.tags))
            if r.answers:
                answered.append((ids[r.number], r))
        _insert(fresh)
        _tag(project, tagged)
        _answer(survey, answered)
        imported += len(fresh)
        if progress:
            progress(len(batch))
    return imported, skipped


# COPY's text format: these characters are written escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
# pg_advisory_xact_lock key space of imports: one import at a time per project.
_LOCK = 0x1A4F_0000


def _copy_layout(model: type[models.Model], given: list[str]) -> tuple[str, str]:
    """Return the ``COPY … FROM STDIN`` statement of ``model`` whose lines start with the
    ``given`` columns (attribute names) in that order, and the text that ends each line: every
    other column's default, in COPY's text format."""
    fields = [f for f in model._meta.concrete_fields if f.attname in given or not f.primary_key]
    defaults = []
    for f in fields:
        if f.attname in given:
            continue
        default = f.get_default()
        if isinstance(f, models.JSONField):
            default = json.dumps(default if default is not None else {})
        elif isinstance(f, models.BooleanField):
            default = "t" if default else "f"
        defaults.append(NULL if default is None else str(default).translate(_COPY_ESCAPES))
    by_name = {f.attname: f for f in fields}
    order = [*given, *(f.attname for f in fields if f.attname not in given)]
    columns = ", ".join(connection.ops.quote_name(by_name[name].column) for name in order)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"COPY {table} ({columns}) FROM STDIN", "\t".join(defaults)


def _import_postgres(
    survey: Survey, rows: list[Row], progress: Callable[[int], Any] | None, sentiment: bool
) -> tuple[int, int]:
    """Add the people (:func:`_people_postgres`), then COPY the new responses straight into
    their table, a chunk at a time: the database takes one chunk while this process formats
    the next. No row-by-row round trips."""
    from promoter.text.sentiment import sentiment_for

    project = survey.project
    escape = _COPY_ESCAPES
    copy_sql, tail = _copy_layout(
        Response,
        [
            "public_id",
            "project_id",
            "survey_id",
            "end_user_id",
            "score",
            "comment",
            "channel",
            "properties",
            "sentiment",
            "created_at",
            "updated_at",
        ],
    )
    dumps = json.dumps
    # Per survey: the project and survey part of _response_id's text, and of each line (by
    # id(): a Survey hashes by its pk, a property, which costs in a loop of a million rows).
    prefixes: dict[int, tuple[str, str]] = {}
    project_pk = project.pk
    # Rows repeat a few combinations of properties: each is written out once.
    written: dict[tuple[tuple[str, Any], ...], str] = {(): "{}"}
    imported = total = 0
    tagged: list[tuple[uuid.UUID, list[str]]] = []
    answered: list[tuple[uuid.UUID, Row]] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK + project.pk])
        bulk = _may_skip_triggers(cursor)
        # The rows this import links to, locked as the foreign-key checks would lock them:
        # a deletion meanwhile is refused in one readable line, not at commit.
        _hold(cursor, Project, [project.pk], "projects")
        _hold(cursor, Survey, sorted({(r.survey or survey).pk for r in rows}), "surveys")
        if bulk:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {rollups.RESPONSES}")  # noqa: S608
            (last_before,) = cursor.fetchone()
            cursor.execute("SET LOCAL session_replication_role = replica")
        snapshots: dict[str, dict[str, Any]] = {}
        known = _people_postgres(cursor, project, rows, snapshots)
        imported_before = Response.objects.filter(project=project, channel=Channel.IMPORT)
        existing: set[str] = (
            {u.hex for u in imported_before.values_list("public_id", flat=True)}
            if imported_before.exists()
            else set()
        )
        # One COPY for every row: psycopg sends each chunk from a thread of its own while
        # this one formats the next, and the server inserts as they arrive.
        with cursor.cursor.copy(copy_sql) as copy:
            for start in range(0, len(rows), BATCH):
                chunk = rows[start : start + BATCH]
                total += len(chunk)
                lines: list[str] = []
                for r in chunk:
                    row_survey = r.survey or survey
                    known_survey = prefixes.get(id(row_survey))
                    if known_survey is None:
                        known_survey = (
                            f"{project.public_id}:{row_survey.public_id}:",
                            f"{project_pk}\t{row_survey.pk}",
                        )
                        prefixes[id(row_survey)] = known_survey
                    prefix, keys = known_survey
                    public_id = _response_id(prefix, r.response_key, r.created_at)
                    if public_id in existing:
                        continue
                    existing.add(public_id)
                    mood = sentiment_for(r.comment) if sentiment and r.comment else None
                    key = _key(r)
                    person = known.get(key)
                    when = r.created_at.isoformat()
                    own = {**snapshots[key], **r.properties} if key in snapshots else r.properties
                    shape: tuple[tuple[str, Any], ...] | None = tuple(own.items())
                    try:
                        properties = written.get(shape)  # type: ignore[arg-type]
                    except TypeError:  # a list kept from before the limits keys nothing
                        shape, properties = None, None
                    if properties is None:
                        properties = dumps(own).translate(escape)
                        if shape is not None and len(written) < 4096:  # not every row's own
                            written[shape] = properties
                    lines.append(
                        f"{public_id}\t{keys}\t"
                        f"{NULL if person is None else person}\t{r.score}\t"
                        f"{r.comment.translate(escape)}\t{Channel.IMPORT}\t"
                        f"{properties}\t"
                        f"{NULL if mood is None else mood}\t{when}\t{when}\t{tail}\n"
                    )
                    if r.tags:
                        tagged.append((uuid.UUID(public_id), r.tags))
                    if r.answers:
                        answered.append((uuid.UUID(public_id), r))
                if lines:
                    copy.write("".join(lines))
                imported += len(lines)
                if progress:
                    progress(len(chunk))
        if bulk:
            # What the skipped triggers would have done: the rollups of the new rows. Only
            # imports write the import channel, and this project's imports wait for each other
            # (the advisory lock above), so these are exactly the rows just copied.
            cursor.execute("SET LOCAL session_replication_role = origin")
            if imported:
                cursor.execute(
                    rollups.apply_sql(
                        f"SELECT {', '.join(rollups.TRACKED)}, 1 AS d FROM {rollups.RESPONSES}"  # noqa: S608
                        " WHERE id > %(last)s AND project_id = %(project)s"
                        " AND channel = %(channel)s AND NOT excluded"
                    ),
                    {"last": last_before, "project": project.pk, "channel": Channel.IMPORT},
                )
    _tag(project, tagged)
    _answer(survey, answered)
    return imported, total - imported


def _ordered_uuid(millis: int) -> str:
    """Return a new UUIDv7: the time in milliseconds, then 74 random bits. The people of an
    import share the millisecond, so their ids go in at the right edge of the index (random
    ids are spread over the whole index, which costs far more pages per insert)."""
    rand = int.from_bytes(os.urandom(10))  # 80 bits: 12 for rand_a, 62 for rand_b
    rand_a, rand_b = (rand >> 62) & 0xFFF, rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=(millis << 80) | (7 << 76) | (rand_a << 64) | (2 << 62) | rand_b))


def _may_skip_triggers(cursor: Any) -> bool:
    """Return whether this connection may set ``session_replication_role``: a superuser, or
    (PostgreSQL 15 and later) a role granted ``SET ON PARAMETER session_replication_role``.

    Then an import skips the per-row triggers: the foreign-key checks (two trigger calls per
    row, 18 s of a million rows' 55) and the rollups' trigger. It does their work set-wise
    instead: it holds the project, the surveys and the people it links to (``FOR KEY SHARE``,
    the lock the checks would take, so no deletion can orphan a row), and adds the rollups of
    the new rows in one statement. Whether it may is read from the server, never assumed."""
    if connection.pg_version >= 150000:  # type: ignore[attr-defined]
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    else:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0]) and settings.IMPORT_BULK_LOAD


def _hold(cursor: Any, model: type[models.Model], pks: list[int], what: str) -> None:
    """Lock the rows ``pks`` of ``model`` as a foreign-key check would (``FOR KEY SHARE``:
    they cannot be deleted, or their keys changed, before this transaction ends); raise
    :class:`ApplicationError` when one is gone."""
    if not pks:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id = ANY(%s) FOR KEY SHARE) held",  # noqa: S608
        [pks],
    )
    (held,) = cursor.fetchone()
    if held != len(pks):
        raise ApplicationError(
            code="conflict",
            status=409,
            detail=f"{len(pks) - held} of the {what} this file links to were deleted while it"
            " was imported; nothing was imported. Run it again.",
        )


def _people_postgres(
    cursor: Any, project: Project, rows: list[Row], snapshots: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Return the person's pk per identity key of ``rows``: found in the project (by id,
    else by e-mail among people without an id), else added with the properties of their
    first row; the properties of those found go to ``snapshots``. One SELECT of the people
    the file names, then the new ones by one COPY with
    their ids drawn from the table's sequence beforehand (no join, no second SELECT). The
    people found are locked as a foreign-key check would lock them (see :func:`_hold`)."""
    first: dict[str, Row] = {}
    for r in rows:
        key = f"id:{r.external_id}" if r.external_id else (f"email:{r.email}" if r.email else "")
        if key and key not in first:
            first[key] = r
    if not first:
        return {}
    people = connection.ops.quote_name(EndUser._meta.db_table)
    cursor.execute(
        f"SELECT id, external_id, email, properties FROM {people} WHERE project_id = %s"  # noqa: S608
        " AND (external_id = ANY(%s) OR (external_id IS NULL AND email = ANY(%s)))",
        [
            project.pk,
            [k[3:] for k in first if k.startswith("id:")],
            [k[6:] for k in first if k.startswith("email:")],
        ],
    )
    known: dict[str, int] = {}
    for pk, external_id, email, properties in cursor.fetchall():
        key = f"id:{external_id}" if external_id is not None else f"email:{email}"
        known[key] = pk
        if properties:
            snapshots[key] = json.loads(properties) if isinstance(properties, str) else properties
    _hold(cursor, EndUser, sorted(set(known.values())), "people")
    fresh = [key for key in first if key not in known]
    if not fresh:
        return known
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [EndUser._meta.db_table, len(fresh)],
    )
    for key, (pk,) in zip(fresh, cursor.fetchall(), strict=True):
        known[key] = pk
    copy_sql, tail = _copy_layout(
        EndUser,
        [
            "id",
            "public_id",
            "project_id",
            "external_id",
            "email",
            "properties",
            "first_seen_at",
            "last_seen_at",
            "created_at",
        ],
    )
    escape, dumps, added = _COPY_ESCAPES, json.dumps, timezone.now()
    millis, now = int(added.timestamp() * 1000), added.isoformat()
    try:
        with cursor.cursor.copy(copy_sql) as copy:
            for start in range(0, len(fresh), BATCH):
                lines = []
                for key in fresh[start : start + BATCH]:
                    r = first[key]
                    seen = r.created_at.isoformat()
                    properties = dumps(r.properties).translate(escape) if r.properties else "{}"
                    lines.append(
                        f"{known[key]}\t{_ordered_uuid(millis)}\t{project.pk}\t"
                        f"{r.external_id.translate(escape) if r.external_id else NULL}\t"
                        f"{r.email.translate(escape) if r.email else NULL}\t"
                        f"{properties}\t{seen}\t{seen}\t{now}\t{tail}\n"
                    )
                copy.write("".join(lines))
    except psycopg.errors.UniqueViolation as error:
        raise ApplicationError(
            code="conflict",
            status=409,
            detail="People this file names were added while it was imported; nothing was"
            " imported. Run it again.",
        ) from error
    return known


def _insert(fresh: list[dict[str, Any]], model: type[Any] = Response) -> None:
    """Insert rows of ``model``: by COPY on PostgreSQL (the fastest way in), else in bulk.
    Columns not given get their defaults."""
    if not fresh:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**values) for values in fresh], batch_size=BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in fresh[0]}
    if model is EndUser:
        defaults["created_at"] = timezone.now()  # auto_now_add has no default to read
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for values in fresh:
            row = []
            for f in fields:
                value = values.get(f.attname, defaults.get(f.attname))
                if isinstance(f, models.JSONField):
                    value = json.dumps(value if value is not None else {})
                row.append(value)
            copy.write_row(row)


def _tag(project: Project, pairs: list[tuple[uuid.UUID, list[str]]]) -> None:
    if not pairs:
        return
    from promoter.responses.services import tag_get_or_create

    pks = dict(
        Response.objects.filter(public_id__in=[public_id for public_id, _ in pairs]).values_list(
            "public_id", "pk"
        )
    )
    tags: dict[str, Tag] = {}
    links = []
    for public_id, names in pairs:
        for name in names:
            if name.lower() not in tags:
                tags[name.lower()] = tag_get_or_create(project=project, name=name)
            links.append(
                ResponseTag(response_id=pks[public_id], tag=tags[name.lower()], source="manual")
            )
    ResponseTag.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)


def _answer(survey: Survey, pairs: list[tuple[uuid.UUID, Row]]) -> None:
    """Store the answers of the rows just imported (by their responses' ids), to the live
    version of ``survey``'s questions, worded as asked."""
    if not pairs:
        return
    asked = _asked(survey)
    pks = dict(
        Response.objects.filter(public_id__in=[public_id for public_id, _ in pairs]).values_list(
            "public_id", "pk"
        )
    )
    rows = []
    for public_id, r in pairs:
        for question_id, value in r.answers.items():
            question = asked[question_id]
            wording = {c["id"]: c["text"] for c in question.get("choices") or []}
            rows.append(
                {
                    "response_id": pks[public_id],
                    "survey_id": survey.pk,
                    "question": question_id,
                    "version": survey.version,
                    "type": question["type"],
                    "text": question["text"],
                    "value": value,
                    "labels": {c: wording[c] for c in value.get("choices") or [] if c in wording},
                    "created_at": r.created_at,
                    "updated_at": r.created_at,
                }
            )
    for start in range(0, len(rows), BATCH):
        _insert(rows[start : start + BATCH], Answer)
