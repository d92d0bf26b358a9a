"""Dashboard hardening (issue 10; docs/security.md): Content-Security-Policy, cookies, HSTS,
framing, CSRF on every form, login lockout and Argon2 password hashes."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from promoter import settings as configured
from promoter.accounts.models import User
from promoter.conftest import PASSWORD

# Every app's templates: the project's (promoter/templates) and those apps keep (promoter/demo).
TEMPLATES = sorted(set(Path(__file__).resolve().parents[1].glob("**/templates/**/*.html")))
DASHBOARD_PAGES = (
    "project-overview", "project-responses", "project-segments", "project-compare",
    "project-reasons", "project-followup", "project-integrations", "project-email",
    "project-import", "project-settings", "project-members", "project-surveys", "project-tags",
    "project-install",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _script_src(policy: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    return directives["script-src"]


# Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.parametrize("name", DASHBOARD_PAGES)
def test_dashboard_pages_send_a_strict_csp_and_refuse_framing(world, name):
    page = world.client_for("owner").get(reverse(name, args=["alpha"]))
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert _script_src(policy) == "'self'"  # no unsafe-inline, no unsafe-eval, no nonce
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"


def test_the_login_page_has_the_policy_too():
    page = Client().get(reverse("login"))
    assert "script-src 'self';" in page["Content-Security-Policy"]


def test_no_template_carries_an_inline_script_handler_or_javascript_url():
    """The policy allows no inline script, so none may be written: every <script> without
    ``src`` carries the request's nonce, and no element has an on* handler attribute."""
    problems = []
    assert any(path.name == "demo.html" for path in TEMPLATES)
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            if "src=" not in tag and "csp_nonce" not in tag:
                problems.append(f"{path.name}: inline {tag}")
        for handler in re.findall(r"<[a-z][^>]*\s(on[a-z]+)\s*=", text, flags=re.I):
            problems.append(f"{path.name}: handler attribute {handler}")
        if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", text, flags=re.I):
            problems.append(f"{path.name}: javascript: URL")
    assert problems == []


def test_the_demo_page_allows_its_one_inline_script_by_nonce(world, settings):
    settings.DEMO_MODE = True
    page = Client().get("/demo/?as=ada")
    assert page.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", page["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page.content.decode()
    assert "onclick" not in page.content.decode()
    # A fresh nonce per response.
    again = Client().get("/demo/?as=ada")["Content-Security-Policy"]
    assert nonce not in again


def test_widget_endpoints_keep_working_cross_origin(world):
    client = Client()
    script = client.get("/w/promoter.js")
    assert script["Access-Control-Allow-Origin"] == "*"
    assert "Content-Security-Policy" not in script  # not HTML: no policy needed
    preflight = client.options(
        "/i/v1/eligibility",
        HTTP_ORIGIN="https://app.customer.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://app.customer.example"
    answer = client.post(
        "/i/v1/eligibility",
        json.dumps({"key": world.alpha.public_key, "user": {"id": "u-1"}}),
        content_type="text/plain",
        HTTP_ORIGIN="https://app.customer.example",
    )
    assert answer.status_code == 200, answer.content
    assert answer["Access-Control-Allow-Origin"] == "https://app.customer.example"
    assert "Content-Security-Policy" not in answer


# Cookies and HTTPS ------------------------------------------------------------------------


def _settings_for(env: dict[str, str]) -> dict[str, object]:
    """Import promoter.settings in a fresh interpreter with ``env`` and read its values."""
    names = (
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE", "SECURE_PROXY_SSL_HEADER",
    )  # fmt: skip
    code = (
        "import json, promoter.settings as s;"
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SITE_URL", "SECURE_"))}
    base.update({"SECRET_KEY": "k" * 40, "DATABASE_URL": "", **env})
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_https_sites_get_secure_cookies_and_hsts_and_http_sites_do_not():
    https = _settings_for({"SITE_URL": "https://feedback.example.com"})
    assert https["SESSION_COOKIE_SECURE"] is True and https["CSRF_COOKIE_SECURE"] is True
    assert https["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    for name in ("SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY"):
        assert https[name] is True
    assert https["SESSION_COOKIE_SAMESITE"] == https["CSRF_COOKIE_SAMESITE"] == "Lax"
    plain = _settings_for({"SITE_URL": "http://127.0.0.1:8000"})
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    forced = _settings_for(
        {"SITE_URL": "http://internal:8000", "SECURE_COOKIES": "true",
         "SECURE_PROXY_SSL_HEADER": "true"}
    )  # fmt: skip
    assert forced["SESSION_COOKIE_SECURE"] is True
    assert forced["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_session_cookie_flags_and_hsts_behind_a_tls_proxy(world, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    login = client.post(
        reverse("login"),
        {"username": "owner@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert login.status_code == 302
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert login["Strict-Transport-Security"] == "max-age=31536000"
    # Plain HTTP (no proxy header) never gets HSTS: a browser would ignore it anyway.
    assert "Strict-Transport-Security" not in client.get(reverse("login"))


# CSRF on every form -----------------------------------------------------------------------

# Token-authenticated APIs: no cookie ever authenticates them, so CSRF cannot apply.
CSRF_EXEMPT_PREFIXES = ("/i/v1/", "/api/v1/", "/delighted/v1/")
# Public survey pages: their authority is the signed token or survey id in the URL, never a
# session, and mail clients' one-click unsubscribe (RFC 8058) posts without a form token.
CSRF_EXEMPT_PUBLIC_PAGES = {
    "email-answer", "email-answer-page", "email-unsubscribe", "link-survey",
    "link-survey-comment",
}  # fmt: skip


def _all_patterns(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            found += _all_patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            found.append((prefix + str(p.pattern), p))
    return found


def _example_path(route: str) -> str:
    """A concrete path for ``route`` (a path() or re_path() pattern), with dummy arguments."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1) == "score" else "x", route)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", path)
    path = re.sub(r"\(\?:[^)]*\)\??", "", path)
    return "/" + path.replace("^", "").replace("$", "").replace(".*", "")


def test_every_post_view_refuses_a_request_without_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    refused, exempt = [], []
    for route, pattern in _all_patterns():
        path = _example_path(route)
        if path.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        if getattr(pattern.callback, "csrf_exempt", False):
            exempt.append(pattern.name)
            continue
        reply = client.post(path, {"name": "x"})
        assert reply.status_code == 403 and b"CSRF" in reply.content, (path, reply.status_code)
        refused.append(path)
    assert set(exempt) == CSRF_EXEMPT_PUBLIC_PAGES  # no dashboard view may opt out
    assert len(refused) > 60 and "/accounts/login/" in refused


def test_the_apis_never_read_the_session_cookie(world):
    """Why the APIs may skip CSRF: a logged-in browser gets nothing from them."""
    client = world.client_for("owner")
    assert client.get("/api/v1/responses").status_code == 401
    assert client.get("/delighted/v1/people.json").status_code == 401


# Login lockout ------------------------------------------------------------------------------


def _login(email: str, password: str, address: str = "203.0.113.7"):
    return Client().post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_an_account_is_locked_after_repeated_failures_and_unlocks_later(world, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_LOCKOUT_SECONDS = 900
    for attempt in range(5):
        bad = _login("owner@example.com", "wrong password", address=f"198.51.100.{attempt}")
        assert bad.status_code == 200 and "locked" not in bad.content.decode()
    # Even the right password, from yet another address, is refused now, with a clear message.
    locked = _login("owner@example.com", PASSWORD, address="192.0.2.1")
    assert locked.status_code == 200
    text = locked.content.decode()
    assert "Too many failed log-ins" in text and "locked for 15 more minutes" in text
    assert "_auth_user_id" not in locked.wsgi_request.session
    # Another account is not affected.
    assert _login("member@example.com", PASSWORD).status_code == 302
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=901)):
        assert _login("owner@example.com", PASSWORD).status_code == 302


def test_an_address_is_locked_after_failures_across_accounts(world, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    for n in range(6):
        _login(f"guess{n}@example.com", "wrong password", address="203.0.113.9")
    assert (
        "Too many failed" in _login("owner@example.com", PASSWORD, "203.0.113.9").content.decode()
    )
    assert _login("owner@example.com", PASSWORD, address="203.0.113.10").status_code == 302


def test_a_success_clears_the_accounts_failures(world, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        _login("owner@example.com", "wrong password")
    assert _login("owner@example.com", PASSWORD).status_code == 302
    for _ in range(2):
        _login("owner@example.com", "wrong password")
    assert _login("owner@example.com", PASSWORD).status_code == 302


def test_the_client_address_behind_a_proxy_is_the_trusted_hop(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    for n in range(2):
        Client().post(
            reverse("login"), {"username": f"g{n}@example.com", "password": "x"},
            REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20",
        )  # fmt: skip
    other_client = Client().post(
        reverse("login"), {"username": "owner@example.com", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.21",
    )  # fmt: skip
    assert other_client.status_code == 302  # same proxy, another client: not locked


def test_an_ipv6_address_is_locked_out_with_its_whole_64(world, settings):
    """One host usually holds a whole /64: walking through it must not reset the count."""
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    for n in range(4):  # four addresses of 2001:db8:1:2::/64, one failure each
        _login(f"guess{n}@example.com", "wrong password", address=f"2001:db8:1:2::{n + 1:x}")
    same_64 = _login("owner@example.com", PASSWORD, address="2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert "Too many failed" in same_64.content.decode()
    assert "_auth_user_id" not in same_64.wsgi_request.session
    # The neighbouring /64 is another network.
    assert _login("owner@example.com", PASSWORD, address="2001:db8:1:3::1").status_code == 302


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(world, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    settings.LOGIN_FAILURES_PER_ACCOUNT = 100
    for n, address in enumerate(["::ffff:203.0.113.9", "203.0.113.9", "::ffff:cb00:7109"]):
        _login(f"guess{n}@example.com", "wrong password", address=address)
    assert (
        "Too many failed" in _login("owner@example.com", PASSWORD, "203.0.113.9").content.decode()
    )
    # IPv4 addresses stay one each: the next address of the same /24 is not locked.
    assert _login("owner@example.com", PASSWORD, address="203.0.113.10").status_code == 302
    assert _login("member@example.com", PASSWORD, "::ffff:203.0.113.10").status_code == 302


# Argon2 -------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2_and_old_hashes_upgrade_on_login(db, settings):
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    new = User.objects.create_user("new@example.com", PASSWORD)
    assert new.password.startswith("argon2$argon2id$")
    old = User.objects.create_user("old@example.com", "unused-password-123")
    User.objects.filter(pk=old.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert User.objects.get(pk=old.pk).password.startswith("pbkdf2_sha256$")
    assert _login("old@example.com", PASSWORD).status_code == 302
    assert User.objects.get(pk=old.pk).password.startswith("argon2$argon2id$")
