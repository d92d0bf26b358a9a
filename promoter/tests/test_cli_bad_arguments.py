"""Every ``promoter`` command given bad arguments exits non-zero with a readable last line
naming the problem, never a traceback (and never starts anything)."""

from __future__ import annotations

import pytest

from promoter.cli import main


@pytest.fixture(autouse=True)
def _keep_connections(monkeypatch):
    # A command run from the command line closes the database connections when it ends,
    # which would close the test's in-memory database.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import"], "the following arguments are required: file, --project"),
        (["import", "missing.csv", "--project", "alpha"], "no file missing.csv"),
        (["import", "x.csv", "--project", "nope"], "no project with the slug 'nope'"),
        (["import", "x.csv", "--project", "alpha", "--survey", "zzz"], "no survey 'zzz'"),
        (["import", "x.csv", "--project", "alpha", "--map", "score"], "write FIELD=COLUMN"),
        (["report", "--project", "nope"], "no project 'nope'"),
        (["report", "--project", "alpha", "--since", "soon"], "--since 'soon'"),
        (["export", "--project", "alpha", "--format", "xml"], "invalid choice: 'xml'"),
        (["apikey", "create", "--project", "nope"], "no project with the slug 'nope'"),
        (["seed", "--responses", "-5", "--project", "alpha"], "at least 1"),
        (["seed", "--responses", "many", "--project", "alpha"], "invalid int value: 'many'"),
        (["autotag", "--project", "alpha", "--rule", "abc"], "--rule expects a rule id"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a whole number"),
        (["serve", "--port", "70000"], "argument --port: 70000 is not from 1 to 65535"),
        (["serve", "--workers", "0"], "argument --workers: 0 is not from 1 to 256"),
        (["serve", "--threads", "-1"], "argument --threads: -1 is not from 1 to 256"),
        (["worker", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_readable_line(world, capsys, args, expected):
    with pytest.raises(SystemExit) as exited:
        main(["promoter", *args])
    assert exited.value.code not in (0, None)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert expected in err.strip().splitlines()[-1], err
