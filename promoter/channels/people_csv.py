"""People to survey from a CSV file or a pasted list: ``email`` (required), optional
``name`` (the person's), ``id`` (your user id) and ``locale``, every other column a property
of their response.

Every row is checked before anything is scheduled; a problem names its row, and then
nothing is scheduled at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from promoter.core.errors import ApplicationError
from promoter.people.properties import properties_problem

MAX_ROWS = 10_000
RESERVED = {"email", "name", "id", "locale"}


@dataclass(frozen=True)
class Row:
    email: str
    external_id: str = ""
    name: str = ""
    locale: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


def _key(name: str | None) -> str:
    """Return a column's key: the reserved ones in lower case, properties as written."""
    name = (name or "").strip()
    return name.lower() if name.lower() in RESERVED else name


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApplicationError(
        code="invalid", detail="The file is neither UTF-8 nor Windows-1252 text.",
        fields={"file": "encoding"},
    )  # fmt: skip


def parse(text: str | bytes) -> list[Row]:
    """Return the rows of a CSV with a header, or of a plain list (one e-mail per line, or
    ``email,name``); raise ApplicationError naming the first bad row."""
    if isinstance(text, bytes):
        text = _decode(text)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ApplicationError(
            code="invalid", detail="Give at least one e-mail address.", fields={"people": "empty"}
        )
    first = [c.strip().lower() for c in next(csv.reader([lines[0]]))]
    if "email" in first:
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        header = [h.strip() for h in (reader.fieldnames or [])]
        records = [{_key(k): (v or "").strip() for k, v in record.items()} for record in reader]
        start = 2
    else:
        header = []
        records = []
        for values in csv.reader(lines):
            records.append(
                {"email": values[0].strip(), "name": values[1].strip() if len(values) > 1 else ""}
            )
        start = 1
    if len(records) > MAX_ROWS:
        raise ApplicationError(
            code="invalid",
            detail=f"At most {MAX_ROWS:,} people at once; split the file.",
            fields={"people": "too many"},
        )
    rows: list[Row] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=start):
        email = record.get("email", "")
        try:
            validate_email(email)
        except ValidationError:
            where = f"Row {number}" if header else f"Line {number}"
            raise ApplicationError(
                code="invalid",
                detail=f"{where}: {email!r} is not an e-mail address. Nothing was scheduled.",
                fields={"people": f"row {number}"},
            ) from None
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        properties = {
            k: v for k, v in record.items() if k not in RESERVED and k and v not in ("", None)
        }
        problem = properties_problem(properties)  # the limits of every API
        if problem:
            where = f"Row {number}" if header else f"Line {number}"
            raise ApplicationError(
                code="invalid",
                detail=f"{where}: {problem}. Nothing was scheduled.",
                fields={"people": f"row {number}"},
            )
        rows.append(
            Row(
                email=email,
                external_id=record.get("id", ""),
                name=record.get("name", "")[:255],
                locale=record.get("locale", "")[:35],
                properties=properties,
            )
        )
    return rows
