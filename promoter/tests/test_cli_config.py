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
