"""The widget script, served by the app, and the demo page that shows it in a fake SaaS app."""

from __future__ import annotations

import functools
import gzip
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from promoter.accounts.models import Project

WIDGET_SOURCE = Path(__file__).parent / "widget" / "promoter.js"
# The stable URL (in customers' install snippets) is cached briefly so upgrades reach them;
# the versioned URL never changes content, so it is cached for a year.
STABLE_MAX_AGE = 60 * 60
VERSIONED_MAX_AGE = 365 * 24 * 60 * 60


@dataclass(frozen=True)
class WidgetAsset:
    body: bytes
    gzipped: bytes
    version: str  # the first 12 hex digits of the SHA-256 of the source


@functools.cache
def widget_asset() -> WidgetAsset:
    """Return the widget script, its gzip form and its content version (read once)."""
    body = WIDGET_SOURCE.read_bytes()
    return WidgetAsset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


def widget_url(*, versioned: bool = True) -> str:
    """Return the path of the widget script: versioned (immutable) or stable."""
    if versioned:
        return reverse("widget-js-versioned", args=[widget_asset().version])
    return reverse("widget-js")


def _script_response(request: HttpRequest, *, max_age: int, immutable: bool) -> HttpResponse:
    asset = widget_asset()
    etag = f'"{asset.version}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(asset.gzipped, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(asset.body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def widget_js(request: HttpRequest) -> HttpResponseBase:
    """Serve ``promoter.js`` at its stable URL (the one in install snippets)."""
    return _script_response(request, max_age=STABLE_MAX_AGE, immutable=False)


@require_GET
def widget_js_versioned(request: HttpRequest, version: str) -> HttpResponseBase:
    """Serve ``promoter.<version>.js``; an old version gets the current script, briefly cached."""
    if version != widget_asset().version:
        return _script_response(request, max_age=STABLE_MAX_AGE, immutable=False)
    return _script_response(request, max_age=VERSIONED_MAX_AGE, immutable=True)


@dataclass(frozen=True)
class DemoPerson:
    slug: str
    name: str
    email: str
    plan: str
    properties: dict[str, Any]
    signed_up_days_ago: int


DEMO_PEOPLE = (
    DemoPerson(
        "ada",
        "Ada Lovelace",
        "ada@demo.acme.test",
        "Enterprise",
        {
            "plan": "enterprise",
            "mrr_amount": 2400,
            "country": "GB",
            "role": "admin",
            "account": "Analytical Engines Ltd",
            "variant": "B",
        },
        400,
    ),
    DemoPerson(
        "ben",
        "Ben Okafor",
        "ben@demo.acme.test",
        "Pro",
        {
            "plan": "pro",
            "mrr_amount": 99,
            "country": "NG",
            "role": "developer",
            "account": "Lagos Logistics",
            "variant": "A",
        },
        120,
    ),
    DemoPerson(
        "chloe",
        "Chloé Martin",
        "chloe@demo.acme.test",
        "Starter",
        {
            "plan": "starter",
            "mrr_amount": 19,
            "country": "FR",
            "role": "marketer",
            "account": "Boulangerie Martin",
            "variant": "A",
        },
        45,
    ),
    DemoPerson(
        "diego",
        "Diego Ramírez",
        "diego@demo.acme.test",
        "Free",
        {
            "plan": "free",
            "mrr_amount": 0,
            "country": "MX",
            "role": "founder",
            "account": "Tacos Cloud",
            "variant": "B",
        },
        3,
    ),
)


def _demo_project() -> Project:
    from promoter.management.commands.demo import DEMO_PROJECT_SLUG

    project = Project.objects.filter(slug=DEMO_PROJECT_SLUG).first()
    if project is None:
        project = Project.objects.order_by("pk").first()
    if project is None:
        raise Http404("No project yet: run `promoter demo` first.")
    return project


@require_GET
def demo_page(request: HttpRequest) -> HttpResponseBase:
    """Show the widget inside a fake SaaS app, as one of several demo people (demo mode only).

    ``?as=<slug>`` picks a person, ``?as=new`` a fresh visitor nobody has surveyed yet,
    ``?hostile=1`` adds page CSS that resets every element (``* { all: unset }``).
    """
    if not settings.DEMO_MODE:
        raise Http404("The demo page is only served by `promoter demo`.")
    import datetime

    from django.utils import timezone

    project = _demo_project()
    chosen = request.GET.get("as", DEMO_PEOPLE[0].slug)
    if chosen == "new":  # a fresh visitor, then a stable URL so a reload is the same person
        query = request.GET.copy()
        query["as"] = f"visitor-{secrets.token_hex(4)}"
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
    person = next((p for p in DEMO_PEOPLE if p.slug == chosen), None)
    if person is None:
        token = chosen.removeprefix("visitor-") if chosen.startswith("visitor-") else ""
        if not token or not token.isalnum() or len(token) > 32:
            token = secrets.token_hex(4)
        person = DemoPerson(
            f"visitor-{token}",
            f"New visitor {token}",
            f"visitor-{token}@demo.acme.test",
            "Pro",
            {
                "plan": "pro",
                "mrr_amount": 49,
                "country": "US",
                "role": "developer",
                "account": "Visitor Inc",
                "variant": "A",
            },
            60,
        )
    signed_up_at = timezone.now() - datetime.timedelta(days=person.signed_up_days_ago)
    user = {
        "id": f"demo-{person.slug}",
        "email": person.email,
        "signed_up_at": signed_up_at.replace(microsecond=0).isoformat(),
        "properties": person.properties,
    }
    context = {
        "project": project,
        "people": DEMO_PEOPLE,
        "person": person,
        "widget_user": user,
        "widget_src": widget_url(versioned=True),
        "hostile": request.GET.get("hostile") == "1",
        "locale": request.GET.get("locale", ""),
    }
    return render(request, "ingest/demo.html", context)
