"""The /demo/ page: the widget inside a fake SaaS app, as one of several demo people."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from promoter.access import NotFound, demo_project_get
from promoter.accounts.models import Project
from promoter.demo.constants import DEMO_PROJECT_SLUG
from promoter.ingest.widget import widget_url


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
    try:
        return demo_project_get(slug=DEMO_PROJECT_SLUG)
    except NotFound:
        raise Http404("No project yet: run `promoter demo` first.") from None


@require_GET
def demo_page(request: HttpRequest) -> HttpResponseBase:
    """Show the widget inside a fake SaaS app, as one of several demo people (demo mode only).

    ``?as=<slug>`` picks a person, ``?as=new`` a fresh visitor nobody has surveyed yet,
    ``?hostile=1`` adds page CSS that resets every element (``* { all: unset }``).
    """
    if not settings.DEMO_MODE:
        raise Http404("The demo page is only served by `promoter demo`.")
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
    return render(request, "demo/demo.html", context)
