"""Bad configuration ends with one readable line naming the variable and a non-zero exit."""

import os
import subprocess
import sys

import pytest

BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "EMAIL_URL", "DJANGO_SETTINGS_MODULE")
}


def run_promoter(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promoter.cli", *args],
        env={**BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "nonsense", "DEBUG": "true"}, "DATABASE_URL"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "true", "EMAIL_URL": "carrier-pigeon://coop"}, "EMAIL_URL"),
        ({"DEBUG": "sometimes"}, "DEBUG"),
        ({"DEBUG": "true", "SITE_URL": "promoter.example.com"}, "SITE_URL"),
        ({"DEBUG": "true", "REDIS_URL": "memcached://x"}, "REDIS_URL"),
    ],
)
def test_bad_configuration_is_one_readable_line(tmp_path, env, variable):
    result = run_promoter("migrate", PROMOTER_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"promoter: configuration error: {variable}: ")
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_database_is_one_readable_line(tmp_path):
    result = run_promoter(
        "migrate",
        PROMOTER_DATA_DIR=str(tmp_path),
        DEBUG="true",
        DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
    )
    assert result.returncode == 1
    assert result.stderr.startswith("promoter: database error")
    assert "Traceback" not in result.stderr


def test_usage_lists_the_commands():
    result = run_promoter("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "migrate", "createuser", "seed"):
        assert f"  {command} " in result.stdout


def test_serve_refuses_an_unmigrated_database(tmp_path):
    result = run_promoter(
        "serve", "--port", "1", PROMOTER_DATA_DIR=str(tmp_path), SECRET_KEY="k" * 40
    )
    assert result.returncode == 1
    assert "run `promoter migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


# A newcomer's path: `promoter demo`, then the other commands on the demo's data folder -------

W002 = "promoter.W002"  # EMAIL_URL is the console: a warning for servers, not for every command


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory) -> str:
    data_dir = str(tmp_path_factory.mktemp("after-demo"))
    done = run_promoter("demo", "--no-serve", "--responses", "20", PROMOTER_DATA_DIR=data_dir)
    assert done.returncode == 0, done.stderr
    return data_dir


def test_after_the_demo_every_command_uses_the_key_it_kept(demo_data_dir):
    # What a newcomer types after `make demo`: no SECRET_KEY, no DEBUG, the demo's data folder.
    created = run_promoter("apikey", "create", "--project", "acme", PROMOTER_DATA_DIR=demo_data_dir)
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("sk_")
    report = run_promoter("report", "--project", "acme", PROMOTER_DATA_DIR=demo_data_dir)
    assert report.returncode == 0, report.stderr


def test_a_server_without_a_key_still_refuses_to_start(tmp_path):
    # No SECRET_KEY and no key in the data folder: production never generates one.
    result = run_promoter("serve", "--port", "1", PROMOTER_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("promoter: configuration error: SECRET_KEY: ")
    assert not (tmp_path / "secret_key").exists()


def test_a_short_key_in_the_data_folder_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("too-short\n")
    result = run_promoter("migrate", PROMOTER_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "secret_key" in lines[0] and "[promoter.E002]" in lines[0]


def test_migrate_creates_the_data_folder(tmp_path):
    data_dir = tmp_path / "not" / "there" / "yet"
    result = run_promoter(
        "migrate", "--verbosity", "0", PROMOTER_DATA_DIR=str(data_dir), SECRET_KEY="k" * 40
    )
    assert result.returncode == 0, result.stderr
    assert (data_dir / "promoter.sqlite3").is_file()
    # A folder that cannot be created is one readable line too.
    (tmp_path / "a-file").write_text("")
    result = run_promoter(
        "migrate", PROMOTER_DATA_DIR=str(tmp_path / "a-file" / "data"), SECRET_KEY="k" * 40
    )
    assert result.returncode == 2
    assert result.stderr.startswith("promoter: configuration error: PROMOTER_DATA_DIR: cannot")
    assert "[promoter.E004]" in result.stderr and "Traceback" not in result.stderr


def test_configuration_warnings_are_shown_by_check_and_serve_only(demo_data_dir, tmp_path):
    # DEBUG off and EMAIL_URL unset: promoter.W002 applies.
    env = {"PROMOTER_DATA_DIR": demo_data_dir, "SECRET_KEY": "k" * 40}
    for command in (
        ["migrate"],
        ["apikey", "list", "--project", "acme"],
        ["report", "--project", "acme"],
        ["createuser", "someone@example.com"],
    ):
        result = run_promoter(*command, **env, PROMOTER_PASSWORD="x" * 12)
        assert result.returncode == 0, (command, result.stderr)
        assert W002 not in result.stderr + result.stdout, command
    check = run_promoter("check", **env)
    assert check.returncode == 0
    assert W002 in check.stderr and "System check identified 1 issue" in check.stderr
    # `promoter serve` shows them before it starts (here it stops at the missing migrations).
    env["PROMOTER_DATA_DIR"] = str(tmp_path)
    serve = run_promoter("serve", "--port", "1", **env)
    assert serve.returncode == 1 and "run `promoter migrate` first" in serve.stderr
    assert serve.stderr.count(W002) == 1, serve.stderr
