"""The browser of the suite's browser tests: Debian's chromium driven by Playwright, never a
downloaded one. promoter/conftest.py offers the ``browser`` fixture to every test; a missing
chromium fails the test, never skips it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("PROMOTER_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Launch chromium once per test module (headless, no sandbox, no background traffic)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def signed_in(
    browser: Any,
    base_url: str,
    *,
    email: str,
    password: str,
    lands: str,
    width: int = 1280,
    height: int = 900,
    timeout_ms: int = 60_000,
) -> Iterator[Any]:
    """Yield a page of a new browser context signed in as ``email`` (through the login form),
    once it has landed on a path matching the regular expression ``lands``; the page's
    ``errors`` list collects its uncaught script errors and Content-Security-Policy refusals.
    For a test module's ``page`` fixture: ``yield from signed_in(...)``."""
    import re

    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    opened.errors = errors
    opened.goto("/accounts/login/")
    opened.fill('input[name="username"]', email)
    opened.fill('input[name="password"]', password)
    opened.click('button[type="submit"], input[type="submit"]')
    opened.wait_for_url(re.compile(lands), timeout=timeout_ms)
    yield opened
    context.close()


def acme_owner(browser: Any, base_url: str, **size: int) -> Iterator[Any]:
    """:func:`signed_in` as the browser tests' usual person: the owner of the project
    ``acme`` (owner@example.com, the suite's password), landed on its dashboard."""
    return signed_in(
        browser,
        base_url,
        email="owner@example.com",
        password="correct horse battery staple",
        lands=r"/p/acme/",
        **size,
    )
