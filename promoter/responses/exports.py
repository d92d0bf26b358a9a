"""Everything out: a project's responses, people or tags as CSV or JSON Lines, streamed in
chunks so a million rows need little memory (``promoter export``; the API later)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from promoter.accounts.models import Project
from promoter.core.spreadsheets import csv_safe
from promoter.people.models import EndUser
from promoter.responses.models import Answer, Response, Tag
from promoter.responses.selectors import answers_of, tag_names_of
from promoter.responses.serializers import SAID, answer_cell, response_fields
from promoter.surveys.models import Survey

CHUNK = 2000
WHAT = ("responses", "people", "tags")
FORMATS = ("csv", "jsonl")
RESPONSE_COLUMNS = (
    "id", "created_at", "updated_at", "survey_id", "survey_name", "survey_kind", "score",
    "category", "comment", "sentiment", "channel", "locale", "status", "tags", "person_id",
    "person_email", "url",
)  # fmt: skip
PEOPLE_COLUMNS = (
    "id", "external_id", "email", "locale", "signed_up_at", "first_seen_at", "last_seen_at",
    "unsubscribed_at", "bounced_at",
)  # fmt: skip


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _property_names(rows: Iterator[dict[str, Any] | None]) -> list[str]:
    names: set[str] = set()
    for properties in rows:
        names.update((properties or {}).keys())
    return sorted(names)


def count(*, project: Project, what: str) -> int:
    if what == "responses":
        return Response.objects.filter(project=project).count()
    if what == "people":
        return EndUser.objects.filter(project=project).count()
    return Tag.objects.filter(project=project).count()


def question_ids(*, project: Project, survey: Survey | None = None) -> list[str]:
    """Return the ids of the additional questions of ``project``'s surveys (or of
    ``survey``), one CSV column each: those asked now in their order, then those only
    earlier versions asked."""
    surveys = Survey.objects.filter(project=project).order_by("created_at", "pk")
    if survey is not None:
        surveys = surveys.filter(pk=survey.pk)
    ordered: list[str] = []
    for each in surveys:
        for question in each.published_questions or []:
            if question["id"] not in ordered and question["type"] != "message":
                ordered.append(question["id"])
    answered = Answer.objects.filter(survey__project=project)
    if survey is not None:
        answered = answered.filter(survey=survey)
    ids = answered.values_list("question", flat=True).distinct()
    return ordered + sorted(set(ids) - set(ordered))


def _responses(project: Project) -> tuple[list[str], Iterator[dict[str, Any]]]:
    qs = Response.objects.filter(project=project).order_by("created_at", "pk")
    names = _property_names(qs.values_list("properties", flat=True).iterator(chunk_size=CHUNK))
    questions = question_ids(project=project)
    columns = [
        *RESPONSE_COLUMNS,
        *(f"property:{n}" for n in names),
        *(f"answer:{q}" for q in questions),
    ]

    def rows() -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            chunk = list(
                qs.filter(pk__gt=start).order_by("pk").select_related("survey", "end_user")[:CHUNK]
            )
            if not chunk:
                return
            start = chunk[-1].pk
            tags = tag_names_of(chunk)
            answers = answers_of(chunk) if questions else {}
            for r in chunk:
                fields = response_fields(r, tags[r.pk], answers.get(r.pk, []))
                person = fields["person"]
                row: dict[str, Any] = {
                    "id": str(fields["id"]),
                    "created_at": _iso(fields["created_at"]),
                    "updated_at": _iso(fields["updated_at"]),
                    "survey_id": str(fields["survey"]),
                    "survey_name": r.survey.name,
                    **{name: fields[name] for name in SAID},
                    "person_id": person.external_id if person else None,
                    "person_email": person.email if person else None,
                    "url": r.origin_url,
                }
                for name in names:
                    row[f"property:{name}"] = fields["properties"].get(name)
                row["answers"] = {a["question"]: a["value"] for a in fields["answers"]}
                yield row

    return columns, rows()


def _people(project: Project) -> tuple[list[str], Iterator[dict[str, Any]]]:
    qs = EndUser.objects.filter(project=project).order_by("pk")
    names = _property_names(qs.values_list("properties", flat=True).iterator(chunk_size=CHUNK))
    columns = [*PEOPLE_COLUMNS, *(f"property:{n}" for n in names)]

    def rows() -> Iterator[dict[str, Any]]:
        for p in qs.iterator(chunk_size=CHUNK):
            row: dict[str, Any] = {
                "id": str(p.public_id),
                "external_id": p.external_id,
                "email": p.email,
                "locale": p.locale,
                "signed_up_at": _iso(p.signed_up_at),
                "first_seen_at": _iso(p.first_seen_at),
                "last_seen_at": _iso(p.last_seen_at),
                "unsubscribed_at": _iso(p.unsubscribed_at),
                "bounced_at": _iso(p.bounced_at),
            }
            for name in names:
                row[f"property:{name}"] = (p.properties or {}).get(name)
            yield row

    return columns, rows()


def _tags(project: Project) -> tuple[list[str], Iterator[dict[str, Any]]]:
    qs = Tag.objects.filter(project=project).select_related("parent").order_by("name", "pk")

    def rows() -> Iterator[dict[str, Any]]:
        for t in qs:
            yield {
                "id": str(t.public_id),
                "name": t.name,
                "color": t.color,
                "parent": t.parent.name if t.parent else None,
                "responses": t.response_tags.count(),
            }

    return ["id", "name", "color", "parent", "responses"], rows()


def export_chunks(*, project: Project, what: str, fmt: str) -> Iterator[tuple[str, int]]:
    """Yield the project's ``what`` (responses, people, tags) as ``fmt`` (csv, jsonl) in
    chunks of text, each with how many rows it holds. CSV cells are safe from spreadsheet
    formulas; lists are joined with "; " in CSV and stay lists in JSON Lines. An answer to
    an additional question is a CSV column ``answer:<question id>``: its text, rating, or
    choice ids joined with "; " (the Other box last, ``other: <text>``); JSON Lines nest the
    stored values under ``answers``, by question id."""
    if what not in WHAT or fmt not in FORMATS:
        raise ValueError(f"export what in {WHAT} as {FORMATS}")
    columns, rows = {"responses": _responses, "people": _people, "tags": _tags}[what](project)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt == "csv":
        writer.writerow(columns)
    n = 0
    for row in rows:
        if fmt == "csv":
            writer.writerow([_column(row, c) for c in columns])
        else:
            buffer.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        n += 1
        if n == CHUNK:
            yield buffer.getvalue(), n
            buffer.seek(0)
            buffer.truncate()
            n = 0
    yield buffer.getvalue(), n


def export(
    *,
    project: Project,
    what: str,
    fmt: str,
    write: Callable[[str], Any],
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Write :func:`export_chunks` through ``write``; return how many rows."""
    total = 0
    for text, n in export_chunks(project=project, what=what, fmt=fmt):
        write(text)
        total += n
        if progress:
            progress(n)
    return total


def _column(row: dict[str, Any], column: str) -> str:
    if column.startswith("answer:"):
        value = row["answers"].get(column.removeprefix("answer:"))
        return _cell(None if value is None else answer_cell(value))
    return _cell(row.get(column))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return csv_safe("; ".join(str(v) for v in value))
    if isinstance(value, dict):
        return csv_safe(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool | int | float):
        return str(value)
    return csv_safe(value)
