"""``promoter import``: Delighted-style and Wootric-style exports, Promoter's own export
round-trips, XLSX, a column mapping, row-numbered refusals with nothing imported, and
idempotence."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from promoter.actions.projects import project_create
from promoter.analytics import metrics
from promoter.analytics.selectors import ResponseFilter, histogram
from promoter.demo.seed import seed_project
from promoter.people.models import EndUser
from promoter.responses.models import Response, ResponseTag

DELIGHTED = (
    "Response ID,Email,Name,Score,Comment,Response Timestamp,Plan,Country\n"
    "r-1,jane@example.com,Jane Doe,3,Exports are slow,1763630000,pro,FR\n"
    "r-2,bob@example.com,Bob,10,Love it,1763640000,free,US\n"
    "r-3,jane@example.com,Jane Doe,6,,1763650000,pro,FR\n"
)
WOOTRIC = (
    "id,score,text,created_at,end_user.email,end_user.external_id,end_user.properties.plan\n"
    "1001,9,Great support,2026-10-01 10:00:00 UTC,ann@example.com,u-1,enterprise\n"
    "1002,2,Too expensive,2026-10-02T11:30:00Z,,u-2,free\n"
)


def run(tmp_path, content, name="in.csv", **options):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_a_delighted_export_imports_people_properties_and_is_idempotent(world, tmp_path):
    out, _ = run(tmp_path, DELIGHTED, project="alpha")
    assert "Imported 3 responses" in out
    jane = EndUser.objects.get(email="jane@example.com")
    assert jane.properties["name"] == "Jane Doe"
    first = Response.objects.get(score=3)
    assert (first.comment, first.channel, first.end_user) == ("Exports are slow", "import", jane)
    assert first.properties == {"Plan": "pro", "Country": "FR", "name": "Jane Doe"}
    assert first.created_at.timestamp() == 1763630000
    assert first.sentiment is not None and first.sentiment < 0
    out, _ = run(tmp_path, DELIGHTED, project="alpha")  # the same file again
    assert "Imported 0 responses" in out and "3 were already there" in out
    assert Response.objects.count() == 3


def test_a_wootric_export_imports_with_external_ids(world, tmp_path):
    run(tmp_path, WOOTRIC, project="alpha")
    ann = Response.objects.get(score=9)
    assert (ann.end_user.external_id, ann.end_user.email) == ("u-1", "ann@example.com")
    assert ann.properties == {"plan": "enterprise"} and ann.comment == "Great support"
    assert Response.objects.get(score=2).end_user.external_id == "u-2"


def test_bad_rows_are_refused_with_row_numbers_and_nothing_is_imported(world, tmp_path):
    bad = (
        DELIGHTED
        + "r-4,x@example.com,X,11,,1763660000,pro,FR\nr-5,y@example.com,Y,5,,yesterday,pro,FR\n"
    )
    with pytest.raises(CommandError, match="2 of 5 rows have problems: nothing was imported"):
        run(tmp_path, bad, project="alpha")
    assert not Response.objects.exists() and not EndUser.objects.exists()
    _, err = io.StringIO(), io.StringIO()
    path = tmp_path / "bad.csv"
    path.write_text(bad)
    with contextlib.suppress(CommandError):
        call_command("import", str(path), project="alpha", stderr=err, stdout=io.StringIO())
    assert "Row 5: score '11' is not a whole number from 0 to 10." in err.getvalue()
    assert "Row 6: date 'yesterday' is not a date." in err.getvalue()
    out, _ = run(tmp_path, bad, project="alpha", valid_only=True)
    assert "Imported 3 responses" in out and "skipped 2 rows" in out


def test_a_bad_row_at_the_end_of_a_chunked_import_stops_all_of_it(world, tmp_path, monkeypatch):
    """Chunks of 2 rows, a bad one at the end: nothing of the file is imported."""
    from promoter.actions import imports

    monkeypatch.setattr(imports, "BATCH", 2)
    rows = [f"r-{i},p{i % 3}@example.com,P,{i},,{1763600000 + i},pro,FR" for i in range(7)]
    content = DELIGHTED.splitlines()[0] + "\n" + "\n".join([*rows, "r-9,q@x.com,Q,ten,,1,a,b"])
    with pytest.raises(CommandError, match="1 of 9 rows have problems"):
        run(tmp_path, content + "\n" + rows[0], project="alpha")
    assert not Response.objects.exists() and not EndUser.objects.exists()
    out, _ = run(tmp_path, content, project="alpha", valid_only=True)
    assert "Imported 7 responses" in out and "skipped 1 rows" in out
    assert EndUser.objects.count() == 3
    assert sorted(Response.objects.values_list("score", flat=True)) == list(range(7))
    out, _ = run(tmp_path, content, project="alpha", valid_only=True)
    assert "Imported 0 responses" in out and "7 were already there" in out


def test_a_mapping_reads_any_spreadsheet_and_xlsx_works(world, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["When", "Rating", "Why", "Customer", "Segment"])
    sheet.append(["2026-09-01", 8, "Fine", "c@example.com", "smb"])
    sheet.append(["2026-09-02", 4, "Meh", "d@example.com", "smb"])
    data = io.BytesIO()
    book.save(data)
    with pytest.raises(CommandError, match="No created at column"):
        run(tmp_path, data.getvalue(), name="x.xlsx", project="alpha")
    out, _ = run(
        tmp_path,
        data.getvalue(),
        name="x.xlsx",
        project="alpha",
        map=["score=Rating", "created_at=When", "comment=Why", "email=Customer"],
    )
    assert "Imported 2 responses" in out
    assert Response.objects.get(score=8).properties == {"Segment": "smb"}
    with pytest.raises(CommandError, match="No column 'Nope'"):
        run(tmp_path, data.getvalue(), name="x.xlsx", project="alpha", map=["score=Nope"])


def test_promoters_own_export_round_trips_to_the_same_figures(world, tmp_path):
    seed_project(project=world.alpha, responses=300, seed=4, until=timezone.now())
    exported = io.StringIO()
    call_command("export", project="alpha", stdout=exported, stderr=io.StringIO())
    copy = project_create(owner=world.owner, name="Copy", slug="copy")
    for survey in world.alpha.surveys.exclude(kind__in=copy.surveys.values("kind")):
        copy.surveys.create(kind=survey.kind, name=survey.name)
    out, _ = run(tmp_path, exported.getvalue(), project="copy", no_sentiment=True)
    assert "Imported 300 responses" in out
    survey_a, survey_b = world.alpha.surveys.get(kind="nps"), copy.surveys.get(kind="nps")
    a = metrics.summarize(
        "nps", histogram(project=world.alpha, flt=ResponseFilter(survey=survey_a))
    )
    b = metrics.summarize("nps", histogram(project=copy, flt=ResponseFilter(survey=survey_b)))
    assert (a.n, a.score) == (b.n, b.score)
    assert Response.objects.filter(project=copy).count() == 300
    tagged_a = ResponseTag.objects.filter(response__project=world.alpha).count()
    assert ResponseTag.objects.filter(response__project=copy).count() == tagged_a


def test_unusable_files_get_one_readable_line(world, tmp_path):
    with pytest.raises(CommandError, match="no file"):
        call_command("import", str(tmp_path / "missing.csv"), project="alpha")
    with pytest.raises(CommandError, match="empty"):
        run(tmp_path, "", project="alpha")
    with pytest.raises(CommandError, match="binary data"):
        run(tmp_path, b"score,date\n\x00\x01", project="alpha")
    with pytest.raises(CommandError, match="FIELD=COLUMN"):
        run(tmp_path, DELIGHTED, project="alpha", map=["score"])


def test_an_imported_rows_id_stays_the_one_earlier_versions_gave_it(world, tmp_path):
    """Re-importing a file imported by an earlier version must skip its rows: the id is the
    time in milliseconds, then the MD5 of project, survey and row id, as a UUIDv8."""
    import hashlib
    import uuid

    run(tmp_path, DELIGHTED, project="alpha")
    stored = Response.objects.get(score=3)
    text = f"{world.alpha.public_id}:{stored.survey.public_id}:r-1"
    digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    expected = uuid.UUID(f"{1763630000000:012x}8{digest[13:16]}" + "0" * 16)
    assert stored.public_id.hex[:16] == expected.hex[:16]
    assert stored.public_id.hex[17:] == digest[17:] and stored.public_id.version == 8
