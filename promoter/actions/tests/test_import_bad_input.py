"""Broken files given to ``promoter import`` and the Import page: a readable message with the
row number, a non-zero exit, and nothing imported (the database is unchanged). Encodings that
can be told safely (a byte-order mark, UTF-8, Windows-1252 alone) are read; the rest are
refused naming the row and the encoding problem."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from promoter.cli import main
from promoter.people.models import EndUser
from promoter.responses.models import Response, Tag

HEADER = "Response ID,Email,Score,Comment,Response Timestamp,Plan\n"
ROWS = [
    "r-1,ann@example.com,9,Très bien,1763630000,pro\n",
    "r-2,bob@example.com,3,Zu langsam,1763640000,free\n",
    "r-3,cyd@example.com,7,,1763650000,pro\n",
]
GOOD = HEADER + "".join(ROWS)


def _counts() -> tuple[int, int, int]:
    return Response.objects.count(), EndUser.objects.count(), Tag.objects.count()


def _import(tmp_path, data: bytes, name: str = "in.csv", **options) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), project="alpha", stdout=out, stderr=err, **options)
    return out.getvalue()


def _refused(tmp_path, data: bytes, match: str, name: str = "in.csv") -> str:
    before = _counts()
    path = tmp_path / name
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import", str(path), project="alpha", stdout=io.StringIO(), stderr=err)
    message = str(failure.value)
    assert match in message + err.getvalue(), message + err.getvalue()
    assert "\n" not in message.strip()
    assert _counts() == before
    return message + err.getvalue()


# Broken CSV ------------------------------------------------------------------------------------


def test_an_unbalanced_quote_names_its_row(world, tmp_path):
    data = HEADER + ROWS[0] + 'r-2,bob@example.com,3,"never closed,1763640000,free\n' + ROWS[2]
    _refused(tmp_path, data.encode(), "Row 3 (from line 3) cannot be read: a quoted cell is never")


def test_a_quote_inside_an_unquoted_cell_is_text(world, tmp_path):
    data = HEADER + 'r-1,ann@example.com,9,a 5" screen,1763630000,pro\n'
    assert "Imported 1 responses" in _import(tmp_path, data.encode())
    assert Response.objects.get().comment == 'a 5" screen'


def test_a_quoted_cell_over_several_lines_counts_as_one_row(world, tmp_path):
    data = HEADER + 'r-1,ann@example.com,9,"two\nlines",1763630000,pro\n' + "r-2,b@x.io,11,,1,\n"
    message = _refused(tmp_path, data.encode(), "Row 3: score '11'")
    assert "Row 2" not in message


@pytest.mark.parametrize(
    ("row", "cells"),
    [
        ("r-4,d@example.com,5,Good, really,1763660000,pro\n", 7),  # an unquoted comma
        ("r-4,d@example.com,5\n", 3),
    ],
)
def test_ragged_rows_are_problems_with_their_row_number(world, tmp_path, row, cells):
    message = _refused(tmp_path, (GOOD + row).encode(), f"Row 5: it has {cells} cells")
    assert "the header has 6" in message
    assert "1 of 4 rows have problems: nothing was imported" in message


def test_trailing_empty_cells_and_blank_lines_are_not_ragged(world, tmp_path):
    data = HEADER + ROWS[0].replace("\n", ",,\n") + "\n" + ROWS[1] + ",,,\n"
    assert "Imported 2 responses" in _import(tmp_path, data.encode())


def test_a_cell_over_the_csv_field_limit_names_its_row(world, tmp_path):
    data = GOOD + 'r-4,d@example.com,5,"' + "x" * 200_000 + '",1763660000,pro\n'
    _refused(tmp_path, data.encode(), "Row 5 (from line 5) cannot be read: field larger")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        GOOD.encode() + b"r-9,\x01\x02\x03,5,,1763660000,pro\n",
    ],
)
def test_binary_data_is_refused_naming_the_row(world, tmp_path, data):
    message = _refused(tmp_path, data, "binary data")
    assert "Row " in message


def test_an_empty_file_is_refused(world, tmp_path):
    _refused(tmp_path, b"", "The file is empty")


def test_missing_columns_are_all_named_with_what_the_header_has(world, tmp_path):
    data = "Email,Comment,Plan\nann@example.com,Nice,pro\n"
    message = _refused(tmp_path, data.encode(), "No score and created at column in row 1")
    assert "'Email', 'Comment', 'Plan'" in message
    assert "--map score=<column> --map created_at=<column>" in message


def test_more_property_columns_than_a_person_may_have_are_refused(world, tmp_path):
    # The limits of every API (promoter/people/properties.py): at most 100 properties.
    extra = ",".join(f"p{i}" for i in range(101))
    data = f"Email,Score,Response Timestamp,{extra}\nann@example.com,9,1763630000{',x' * 101}\n"
    _refused(tmp_path, data.encode(), "columns that would become properties")


def test_a_property_value_over_the_limit_names_its_row(world, tmp_path):
    data = HEADER + ROWS[0] + f"r-2,bob@example.com,3,,1763640000,{'x' * 1001}\n"
    message = _refused(tmp_path, data.encode(), "Row 3: property 'Plan' is longer than 1000")
    assert "Row 2" not in message


def test_a_mapped_column_that_is_not_there_is_named(world, tmp_path):
    with pytest.raises(CommandError, match="No column 'Rating' in the file"):
        _import(tmp_path, GOOD.encode(), map=["score=Rating"])
    assert _counts() == (0, 0, 0)


# Encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_a_byte_order_mark_tells_the_encoding(world, tmp_path, encoding, bom):
    assert "Imported 3 responses" in _import(tmp_path, bom + GOOD.encode(encoding))
    assert Response.objects.get(score=9).comment == "Très bien"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_latin1_and_windows_1252_files_are_read(world, tmp_path, encoding):
    data = GOOD.replace(
        "Zu langsam", "Prix 30 € trop élevé" if encoding == "cp1252" else "Trop élevé"
    )
    assert "Imported 3 responses" in _import(tmp_path, data.encode(encoding))
    assert Response.objects.get(score=9).comment == "Très bien"
    assert "élevé" in Response.objects.get(score=3).comment


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint(world, tmp_path):
    _refused(tmp_path, GOOD.encode("utf-16-le"), "UTF-16 without a byte-order mark")


def test_two_encodings_in_one_file_are_refused_naming_the_row(world, tmp_path):
    data = GOOD.encode() + "r-4,d@example.com,5,Très cher,1763660000,pro\n".encode("latin-1")
    message = _refused(tmp_path, data, "Row 5 is not UTF-8 (byte 0xE8) but other rows are")
    assert "Save it again as UTF-8" in message


def test_a_byte_neither_utf8_nor_windows_1252_is_refused_naming_the_row(world, tmp_path):
    data = GOOD.replace("Très", "Tres").encode() + b"r-4,d@example.com,5,bad \x81 byte,1,pro\n"
    _refused(tmp_path, data, "Row 5 holds byte 0x81, which is neither UTF-8 nor Windows-1252")


def test_a_broken_utf16_file_is_refused_naming_the_row(world, tmp_path):
    data = b"\xff\xfe" + GOOD.encode("utf-16-le") + b"\x00\xd8"  # a lone high surrogate
    _refused(tmp_path, data, "Row 5 is not valid UTF-16")


# Workbooks -------------------------------------------------------------------------------------


def test_a_csv_named_xlsx_is_refused_saying_what_it_is(world, tmp_path):
    _refused(tmp_path, GOOD.encode(), "is not an XLSX workbook (CSV text)", name="export.xlsx")


def test_a_zip_that_is_no_workbook_is_refused(world, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    _refused(tmp_path, buffer.getvalue(), "Cannot read the workbook", name="export.xlsx")


def test_a_truncated_workbook_is_refused(world, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Score", "Date"])
    for i in range(200):
        sheet.append([i % 11, "2026-10-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    _refused(tmp_path, buffer.getvalue()[:-200], "Cannot read the workbook", name="r.xlsx")


# The command line and the Import page ----------------------------------------------------------


def _nps(world) -> str:
    return str(world.alpha.surveys.get(kind="nps").public_id)


@pytest.fixture
def _keep_connections(monkeypatch):
    # A command run from the command line closes the database connections when it ends,
    # which would close the test's in-memory database.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


@pytest.mark.usefixtures("_keep_connections")
def test_the_command_exits_non_zero_with_readable_lines_and_no_traceback(world, tmp_path, capsys):
    path = tmp_path / "broken.csv"
    path.write_bytes((HEADER + 'r-1,a@example.com,9,"open,1763630000,pro\n').encode())
    with pytest.raises(SystemExit) as exited:
        main(["promoter", "import", str(path), "--project", "alpha"])
    assert exited.value.code != 0
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: Row 2 (from line 2)"), err
    assert "Traceback" not in out + err
    assert _counts() == (0, 0, 0)


@pytest.mark.usefixtures("_keep_connections")
def test_rows_with_problems_are_listed_one_line_each_then_the_exit_line(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    data = GOOD + "r-4,d@example.com,-1,,1763660000,pro\nr-5,e@example.com,4.5,,1,pro\n"
    path.write_bytes(data.encode())
    with pytest.raises(SystemExit) as exited:
        main(["promoter", "import", str(path), "--project", "alpha"])
    assert exited.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("Row 5: score '-1' is not a whole number from 0 to 10")
    assert lines[1].startswith("Row 6: score '4.5' is not a whole number from 0 to 10")
    assert lines[2] == (
        "CommandError: 2 of 5 rows have problems: nothing was imported"
        " (fix them, or pass --valid-only)"
    )
    assert _counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfeS\x00\x00\xd8", "Row 1 is not valid UTF-16"),
        (GOOD.encode() + b'r-9,x@example.com,"5,1,pro\n', "Row 5 (from line 5)"),
        (GOOD.encode("utf-16-le"), "UTF-16 without a byte-order mark"),
    ],
)
def test_the_import_page_shows_the_same_message_and_imports_nothing(
    world, settings, tmp_path, data, message
):
    settings.DATA_DIR = tmp_path
    client = world.client_for("admin")
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": _nps(world), "file": SimpleUploadedFile("responses.csv", data)},
        follow=True,
    )
    html = reply.content.decode()
    assert message in html, html[-3000:]
    assert _counts() == (0, 0, 0)


def test_the_import_page_lists_ragged_rows_and_refuses_to_import_them(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = world.client_for("admin")
    data = (GOOD + "r-4,d@example.com,5,Good, really,1763660000,pro\n").encode()
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": _nps(world), "file": SimpleUploadedFile("responses.csv", data)},
    )
    check_url = reply["Location"]
    assert "Row 5: it has 7 cells but the header has 6" in client.get(check_url).content.decode()
    refused = client.post(check_url, {"action": "import"})
    assert refused.status_code == 400
    assert _counts() == (0, 0, 0)
