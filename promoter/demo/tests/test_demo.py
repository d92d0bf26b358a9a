"""`promoter demo`: the embedded database, demo data loaded once, the printed login works."""

from __future__ import annotations

import http.cookiejar
import io
import json
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
from promoter.demo.constants import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROJECT_SLUG
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
        # DEBUG is off: an unknown address gets the plain page, not the list of URL patterns.
        with pytest.raises(urllib.error.HTTPError) as missing:
            opener.open(base + "/no/such/page/")
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "Page not found" in page and "URLconf" not in page and "healthz" not in page
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


# The demo's configuration: production error pages, links at its own port ---------------------

# Runs `promoter demo --no-serve --port 8080` in a fresh process with no configuration at all
# (a fresh machine), then, in that configuration, asks for a page that raises and for an
# unknown URL and builds the links e-mails carry.
_PROBE = r"""
import json, sys, types, uuid
from promoter import cli
code = cli.main(["promoter", "demo", "--no-serve", "--port", "8080", "--responses", "20"])
assert code == 0, code
from django.conf import settings
from django.test import Client
from django.urls import path
import promoter.urls
from promoter.accounts.models import Invitation
from promoter.accounts.services import invitation_link
from promoter.channels import links


def boom(request):
    raise RuntimeError("the probe's view failed")


urls = types.ModuleType("probe_urls")
urls.urlpatterns = [path("probe/boom/", boom), *promoter.urls.urlpatterns]
sys.modules["probe_urls"] = urls
settings.ROOT_URLCONF = "probe_urls"
client = Client(raise_request_exception=False, SERVER_NAME="127.0.0.1", SERVER_PORT="8080")
pages = {url: client.get(url) for url in ("/probe/boom/", "/no/such/page/")}
token = links.token_for(uuid.uuid4())
print("PROBE " + json.dumps({
    "debug": settings.DEBUG,
    "site_url": settings.SITE_URL,
    "links": [
        invitation_link(invitation=Invitation(public_id=uuid.uuid4())),
        links.score_url(token, 9),
        links.unsubscribe_url(token),
    ],
    "pages": {url: [r.status_code, r.content.decode()] for url, r in pages.items()},
}))
"""


@pytest.fixture(scope="module")
def demo_probe(tmp_path_factory) -> tuple[dict, str]:
    data_dir = tmp_path_factory.mktemp("demo-probe")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG", "EMAIL_URL", "DJANGO_SETTINGS_MODULE")
        and k != "SITE_URL"
    }
    env["PROMOTER_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=180
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert done.returncode == 0 and line, done.stdout + done.stderr
    return json.loads(line.removeprefix("PROBE ")), done.stderr


def test_the_demo_shows_production_error_pages_and_logs_the_traceback(demo_probe):
    found, stderr = demo_probe
    assert found["debug"] is False
    status, html = found["pages"]["/probe/boom/"]
    assert status == 500
    assert "Something went wrong" in html and 'href="/static/promoter/app.css"' in html
    for internal in ("Traceback", "the probe&#x27;s view failed", "RuntimeError", "SECRET_KEY",
                     "INSTALLED_APPS", "DEBUG = True", "settings"):  # fmt: skip
        assert internal not in html, internal
    # The traceback goes to the terminal instead, through the django.request logger.
    assert "ERROR django.request Internal Server Error: /probe/boom/" in stderr
    assert "Traceback (most recent call last)" in stderr
    assert "RuntimeError: the probe's view failed" in stderr
    status, html = found["pages"]["/no/such/page/"]
    assert status == 404
    assert "Page not found" in html and "Promoter" in html
    for internal in ("URLconf", "p/&lt;slug:slug&gt;", "healthz", "invitations/", "DEBUG"):
        assert internal not in html, internal


def test_the_demo_on_another_port_mails_links_to_that_port(demo_probe):
    found, _ = demo_probe
    assert found["site_url"] == "http://127.0.0.1:8080"
    for link in found["links"]:
        assert link.startswith("http://127.0.0.1:8080/"), link


def test_the_demo_keeps_a_site_url_set_in_the_environment():
    from promoter.cli import demo_environment

    assert demo_environment(["--port", "8080"], {})["SITE_URL"] == "http://127.0.0.1:8080"
    assert demo_environment(["--port=8081", "--responses", "9"], {})["SITE_URL"] == (
        "http://127.0.0.1:8081"
    )
    assert demo_environment([], {})["SITE_URL"] == "http://127.0.0.1:8000"
    assert demo_environment(["--host", "::1", "--port", "9000"], {})["SITE_URL"] == (
        "http://[::1]:9000"
    )
    assert demo_environment(["--host", "::"], {})["SITE_URL"] == "http://127.0.0.1:8000"
    tunnel = {"SITE_URL": "https://feedback.example.com"}
    assert "SITE_URL" not in demo_environment(["--port", "8080"], tunnel)
