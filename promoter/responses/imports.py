"""History in: responses from a Delighted export, a Wootric export, Promoter's own export or
any spreadsheet (CSV or XLSX), with a column mapping.

Every row is read and checked before anything is written; problems are reported with their
row numbers and then nothing is imported, unless the caller explicitly asks for the valid rows
only. Each response's id is derived from the project and the row's own id (or its content),
so importing the same file twice imports it once. Imported responses are history: they are
not routed to integrations and do not count as contacts for throttles.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from promoter.accounts.models import Project
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.responses.models import Channel, Response, ResponseTag, Tag
from promoter.surveys.models import Survey

BATCH = 5000
MAX_PROBLEMS = 50
NAMESPACE = uuid.UUID("0e6f6a8e-8a51-4b53-9b36-5d2b0f3c1a77")

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


@dataclass
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


@dataclass
class Plan:
    """What a file holds, checked: its rows, and the problems that stop the import."""

    rows: list[Row]
    problems: list[str]
    total: int
    columns: dict[str, str]  # field -> header used

    @property
    def ok(self) -> bool:
        return not self.problems


def read_table(data: bytes, filename: str = "") -> Iterator[list[str]]:
    """Yield the rows of a CSV (UTF-8, UTF-8 with BOM or Windows-1252) or XLSX file."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # a broken or password-protected workbook
            raise ApplicationError(
                code="invalid", detail=f"Cannot read the workbook: {exc}.", fields={"file": "xlsx"}
            ) from None
        for values in book.active.iter_rows(values_only=True):
            yield [
                "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
                for v in values
            ]
        return
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover (cp1252 decodes nearly anything)
        raise ApplicationError(
            code="invalid", detail="Unknown text encoding.", fields={"file": "encoding"}
        )
    if "\x00" in text:
        raise ApplicationError(
            code="invalid",
            detail="This is not a CSV file (it holds binary data).",
            fields={"file": "binary"},
        )
    yield from csv.reader(io.StringIO(text))


def _norm(header: str) -> str:
    return " ".join(header.strip().lower().split())


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
        if _norm(column) not in normalized:
            raise ApplicationError(
                code="invalid",
                detail=f"No column {column!r} in the file (for {name}).",
                fields={"map": name},
            )
        fields[name] = normalized.index(_norm(column))
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


def detected(
    header: list[str], mapping: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Return the column each field is read from (with ``mapping``, else as recognised) and
    the columns that become properties (for the Import page's mapping step)."""
    fields, properties = _columns(header, mapping or {})
    return {name: header[index] for name, index in fields.items()}, list(properties)


def _when(text: str, tz: datetime.tzinfo) -> datetime.datetime | None:
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
        moment = datetime.datetime.combine(day, datetime.time(12))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def plan(
    *, survey: Survey, table: Iterator[list[str]], mapping: Mapping[str, str] | None = None
) -> Plan:
    """Read and check every row of ``table`` (its first row is the header). Rows go to
    ``survey``, or, when the file has a ``survey_kind`` column (Promoter's own export), to
    the project's first survey of that kind."""
    try:
        header = next(table)
    except StopIteration:
        raise ApplicationError(
            code="invalid", detail="The file is empty.", fields={"file": "empty"}
        ) from None
    fields, properties = _columns(header, mapping or {})
    for required in ("score", "created_at"):
        if required not in fields:
            raise ApplicationError(
                code="invalid",
                detail=f"No {required.replace('_', ' ')} column: map one"
                f" (--map {required}=<column>).",
                fields={"map": required},
            )
    by_kind = {
        s.kind: s for s in reversed(list(survey.project.surveys.order_by("created_at", "pk")))
    }
    by_kind[survey.kind] = (
        survey if "survey_kind" not in fields else by_kind.get(survey.kind, survey)
    )
    tz = datetime.UTC
    rows: list[Row] = []
    problems: list[str] = []
    total = 0
    now = timezone.now()
    for number, values in enumerate(table, start=2):
        if not any(v.strip() for v in values):
            continue
        total += 1

        def value(name: str, values: list[str] = values) -> str:
            index = fields.get(name)
            return values[index].strip() if index is not None and index < len(values) else ""

        errors = []
        row_survey = survey
        if "survey_kind" in fields:
            kind = value("survey_kind").lower()
            if kind not in by_kind:
                errors.append(f"this project has no {kind or 'unnamed'} survey")
            else:
                row_survey = by_kind[kind]
        low, high = row_survey.scale
        raw_score = value("score")
        try:
            score = int(float(raw_score))
            if float(raw_score) != score or not low <= score <= high:
                raise ValueError
        except ValueError:
            errors.append(f"score {raw_score!r} is not a whole number from {low} to {high}")
            score = low
        created = _when(value("created_at"), tz)
        if created is None:
            errors.append(f"date {value('created_at')!r} is not a date")
        elif created > now + datetime.timedelta(days=1):
            errors.append(f"date {value('created_at')!r} is in the future")
        comment = value("comment")
        if "\x00" in comment or len(comment) > 5000:
            errors.append("comment is longer than 5000 characters or holds a null byte")
        email = value("email")
        if email and ("@" not in email or len(email) > 254):
            errors.append(f"e-mail {email!r} is not an address")
        if errors:
            if len(problems) < MAX_PROBLEMS:
                problems.append(f"Row {number}: " + "; ".join(errors) + ".")
            continue
        props = {}
        for name, index in properties.items():
            if index < len(values) and values[index].strip():
                props[name] = values[index].strip()
        if value("name"):
            props["name"] = value("name")
        key = value("response_id") or "|".join(values)
        rows.append(
            Row(
                number=number,
                score=score,
                comment=comment,
                created_at=created,  # type: ignore[arg-type]
                email=email.lower(),
                external_id=value("external_id"),
                response_key=key,
                tags=[t.strip() for t in value("tags").replace(";", ",").split(",") if t.strip()],
                properties=props,
                survey=row_survey,
            )
        )
    columns = {name: header[index] for name, index in fields.items()}
    return Plan(rows=rows, problems=problems, total=total, columns=columns)


def _key(r: Row) -> str:
    return f"id:{r.external_id}" if r.external_id else (f"email:{r.email}" if r.email else "")


def _people(project: Project, rows: list[Row], known: dict[str, int]) -> dict[str, int]:
    """Add to ``known`` (person pk per identity key, kept across batches) the people of
    ``rows``: found in the project, else created. Return ``known``."""
    wanted = {_key(r) for r in rows} - set(known) - {""}
    if not wanted:
        return known
    by_id = [k[3:] for k in wanted if k.startswith("id:")]
    by_email = [k[6:] for k in wanted if k.startswith("email:")]
    people = EndUser.objects.filter(project=project)
    if by_id:
        for external_id, pk in people.filter(external_id__in=by_id).values_list(
            "external_id", "pk"
        ):
            known[f"id:{external_id}"] = pk
    if by_email:
        anonymous = people.filter(external_id__isnull=True, email__in=by_email)
        for email, pk in anonymous.values_list("email", "pk"):
            known[f"email:{email}"] = pk
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


def import_rows(
    *,
    survey: Survey,
    rows: list[Row],
    progress: Callable[[int], Any] | None = None,
    sentiment: bool = True,
) -> tuple[int, int]:
    """Store ``rows`` as responses of ``survey`` in one transaction; return (imported, already
    there). Rows whose response is already stored (the same file again) are skipped."""
    from promoter.text.sentiment import sentiment_for

    project = survey.project
    imported = skipped = 0
    known: dict[str, int] = {}
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            people = _people(project, batch, known)
            ids = {
                r.number: uuid.uuid5(
                    NAMESPACE,
                    f"{project.public_id}:{(r.survey or survey).public_id}:{r.response_key}",
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
                    "properties": r.properties,
                    "sentiment": sentiment_for(r.comment) if sentiment and r.comment else None,
                    "created_at": r.created_at,
                    "updated_at": r.created_at,
                }
                fresh.append(values)
                if r.tags:
                    tagged.append((ids[r.number], r.tags))
            _insert(fresh)
            _tag(project, tagged)
            imported += len(fresh)
            if progress:
                progress(len(batch))
    return imported, skipped


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
