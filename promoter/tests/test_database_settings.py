"""PostgreSQL connection persistence and health checks come from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = (
    "import json, django; django.setup(); from django.conf import settings; "
    "d = settings.DATABASES['default']; "
    "print(json.dumps([d.get('CONN_MAX_AGE'), d.get('CONN_HEALTH_CHECKS')]))"
)


def settings_with(tmp_path, **env: str) -> list[object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "promoter.settings",
            "PROMOTER_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/promoter_settings_probe",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: list[object] = json.loads(done.stdout)
    return result


def test_postgresql_connections_persist_with_health_checks_by_default(tmp_path):
    assert settings_with(tmp_path) == [60, True]


def test_both_can_be_changed(tmp_path):
    assert settings_with(
        tmp_path, DATABASE_CONN_MAX_AGE="0", DATABASE_CONN_HEALTH_CHECKS="false"
    ) == [0, False]


def test_a_bad_value_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "promoter.cli", "check"],
        env={
            **os.environ,
            "PROMOTER_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/promoter_settings_probe",
            "DATABASE_CONN_HEALTH_CHECKS": "sometimes",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "DATABASE_CONN_HEALTH_CHECKS" in done.stderr
