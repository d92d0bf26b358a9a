"""`promoter demo`: the embedded database, demo data loaded once, the printed login works."""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.management import call_command
from django.test import Client

from promoter.accounts.models import Membership, Project, User
from promoter.management.commands.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROJECT_SLUG
from promoter.responses.models import Decline, Display, Response


@pytest.mark.django_db
def test_demo_setup_seeds_once_and_the_login_opens_the_project():
    out = io.StringIO()
    call_command("demo", "--no-serve", "--responses", "400", stdout=out)
    counts = (Response.objects.count(), Display.objects.count(), Decline.objects.count())
    assert counts[0] == 400 and counts[1] > counts[0] and counts[2] > 0
    assert f"Log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}" in out.getvalue()

    again = io.StringIO()
    call_command("demo", "--no-serve", "--responses", "400", stdout=again)
    assert "already loaded" in again.getvalue()
    assert (Response.objects.count(), Display.objects.count(), Decline.objects.count()) == counts
    assert User.objects.filter(email=DEMO_EMAIL).count() == 1
    assert Project.objects.filter(slug=DEMO_PROJECT_SLUG).count() == 1

    client = Client()
    assert client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    page = client.get(f"/p/{DEMO_PROJECT_SLUG}/")
    assert page.status_code == 200
    project = Project.objects.get(slug=DEMO_PROJECT_SLUG)
    assert Membership.objects.get(project=project, user__email=DEMO_EMAIL).role == "owner"
    assert {s.kind for s in project.surveys.all()} == {"nps", "csat", "ces"}
    assert project.surveys.count() == 3
    # The overview shows the seeded NPS with its interval and the latest comments.
    html = page.content.decode()
    assert page.context["summary"].n > 30 and "95% interval" in html
    assert html.count('class="response"') >= 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_demo(data_dir, port: int) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "EMAIL_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["PROMOTER_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "promoter.cli", "demo", "--port", str(port), "--responses", "300"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until_up(base: str, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"demo exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("demo did not start serving in time")


def _stop(proc: subprocess.Popen[str]) -> str:
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_demo_serves_over_http_and_restarts_without_duplicating(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_demo(tmp_path, port)
    try:
        _wait_until_up(base, proc)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(base + "/").read().decode()  # redirected to the login page
        assert "Log in to Promoter" in login_page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": DEMO_EMAIL, "password": DEMO_PASSWORD}
        ).encode()
        request = urllib.request.Request(
            base + "/accounts/login/", data=body, headers={"Referer": base + "/accounts/login/"}
        )
        overview = opener.open(request).read().decode()
        assert "Acme Cloud" in overview
        assert "Net Promoter Score" in overview
        css = opener.open(base + "/static/promoter/app.css")
        assert css.status == 200
    finally:
        first_output = _stop(proc)
    assert f"Log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}" in first_output

    database = tmp_path / "promoter.sqlite3"
    with sqlite3.connect(database) as db:
        before = db.execute("select count(*) from responses_response").fetchone()[0]
    assert before == 300

    proc = _start_demo(tmp_path, port)
    try:
        _wait_until_up(base, proc)
    finally:
        second_output = _stop(proc)
    assert "already loaded" in second_output
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from responses_response").fetchone()[0] == before
        mode = db.execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_demo_refuses_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _start_demo(tmp_path, port)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in out
    assert "Traceback" not in out
