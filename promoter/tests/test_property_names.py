"""Property names are JSON keys, never ORM lookups or JSON paths, in every place that takes
``property:op:value`` or a property to break figures down by.

The hostile probe (``GET /api/v1/responses?where=plan__contains:eq:1``) answered 500: the name
was spliced into ``properties__{name}``, so ``__contains`` became Django's lookup, ``a.b`` or
``0`` a JSON path or an array index. Here arbitrary names (``__``, dots, quotes, ``$``,
backslashes, digits only, the empty name, any script; NUL and lone surrogates excepted: no
database stores them and the APIs refuse them with a 400) go through the REST API, the
dashboard's Responses and Segments pages, ``promoter report``, routing rules and survey
targeting, each answering the right rows, or a 4xx naming the condition, never a 5xx.

Where the ``property:op:value`` syntax cannot hold a name, the name is left out of that check
(and said so): the first ``:`` ends the name, and the rule form and the targeting lines are
one condition per line (the targeting lines split on spaces, and ``#`` starts a comment).
"""

from __future__ import annotations

import datetime
import html
import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from promoter.accounts.services import api_key_create
from promoter.actions.responses import response_stored
from promoter.analytics.selectors import NOT_SET
from promoter.cli import main as cli_main
from promoter.integrations.destinations import destination_create
from promoter.integrations.models import Delivery
from promoter.people.models import EndUser
from promoter.responses.services import response_create
from promoter.surveys.eligibility import Condition
from promoter.surveys.forms import render_targeting
from promoter.surveys.services import survey_create

EXAMPLES = int(os.environ.get("PROMOTER_FUZZ_EXAMPLES", "0")) or 8

# Names that broke, or could break, a lookup or a path (each also runs as an explicit example).
TRICKY = [
    "plan",
    "plan__contains",
    "plan__gt",
    "plan__in",
    "plan__regex",
    "plan__startswith",
    "a__b",
    "a.b",
    "$.a",
    "$",
    '"',
    'a"b',
    "a'b",
    "\\",
    "a\\b",
    "0",
    "12",
    "[0]",
    "",
    " padded ",
    "é",
    "😀 emoji",
    "%_",
    "a:b",
    "a\nb",
    "#tag",
    "k" * 250,
]

# Any text a database stores: no NUL, no lone surrogate.
_text = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
NAMES = st.text(_text, max_size=12)


def _value_ok(value: str) -> bool:
    """Whether ``value`` serves as the text value of the checks: non-empty, no surrounding
    spaces (the targeting engine strips, the database does not), no comma (``in`` splits on
    it), not a number, and not a word SQLite's JSON functions answer for null, true or false
    (its text of a JSON null is ``null``: known and kept, as the rollups store the same)."""
    folded = value.casefold()
    return (
        value != ""
        and value == value.strip()
        and "," not in value
        and not _numeric(value)
        and not any(folded in word for word in ("null", "true", "false"))
    )


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


VALUES = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters=","),
    min_size=1,
    max_size=8,
).filter(_value_ok)
NUMBERS = st.integers(min_value=-(10**6), max_value=10**6)


def _settings(examples: int = EXAMPLES) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _examples(test: Any) -> Any:
    for name in TRICKY:
        test = example(name=name, v="Pro plan", n=42)(test)
    return test


# --- the data: seven responses, whose properties hold the name, decoys of it, or nothing -----


def _decoy(name: str, v: str) -> dict[str, Any]:
    """Return properties a path or lookup reading of ``name`` would find: ``a.b`` and
    ``a__b`` as an object in ``a``; otherwise the name inside another key."""
    parts = re.split(r"\.|__", name, maxsplit=1)
    if len(parts) == 2 and parts[0] != name:
        return {parts[0]: {parts[1]: v}}
    return {"other": {name: v}}


def _properties(name: str, v: str, n: int) -> dict[str, dict[str, Any]]:
    return {
        "A": {name: v},
        "B": {name: n},
        "C": {name: None},
        "D": {name + "x": v, "x" + name: n},
        "E": {},
        "F": {name: v + "-2"},
        "G": _decoy(name, v),
    }


# Which of the seven match each condition. "gt" and "lte" compare values of any JSON type as
# each database orders them, as they always did (PostgreSQL: null < text < number; SQLite:
# numbers < text, where a JSON null reads "null"): B must match "gt", the text values A and F
# and the null C may match either, the absent ones never.
def _expected(v: str, n: int) -> list[tuple[str, str, set[str], set[str]]]:
    """(op, value, must match, may match) of each check."""
    return [
        ("eq", v, set("A"), set()),
        ("eq", str(n), set("B"), set()),
        ("ne", v, set("BCDEFG"), set()),
        ("exists", "", set("ABF"), set()),
        ("missing", "", set("CDEG"), set()),
        ("contains", v, set("AF"), set()),
        ("in", f"{v},{n}", set("AB"), set()),
        ("not_in", f"{v},{n}", set("CDEFG"), set()),
        ("gt", str(n - 1), set("B"), set("ACF")),
        ("lte", str(n - 1), set(), set("ACF")),
    ]


def _where(name: str, op: str, value: str) -> str:
    return f"{name}:{op}" if op in ("exists", "missing") else f"{name}:{op}:{value}"


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is rolled back, so examples do not meet."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()


def _seed(world: Any, name: str, v: str, n: int) -> dict[str, Any]:
    """Store the seven responses (four ten days ago, read from the rollups, three now, read
    from the responses) and return {label: response}."""
    survey = world.alpha.surveys.get(kind="nps")
    now = timezone.now()
    stored = {}
    for i, (label, properties) in enumerate(_properties(name, v, n).items()):
        when = now - datetime.timedelta(days=10, minutes=i) if i % 2 == 0 else now
        when -= datetime.timedelta(minutes=1)
        person = EndUser.objects.create(
            project=world.alpha,
            external_id=f"person-{label}",
            properties=properties,
            first_seen_at=when,
            last_seen_at=when,
        )
        response, _ = response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=person, score=i + 2, now=when
        )
        stored[label] = response
    return stored


def _labels(stored: dict[str, Any], ids: Any) -> set[str]:
    by_id = {str(r.public_id): label for label, r in stored.items()}
    return {by_id[str(i)] for i in ids}


def _check(where: str, got: set[str], must: set[str], may: set[str]) -> None:
    assert must <= got <= must | may, (where, sorted(got), sorted(must), sorted(may))


def _refused_naming(reply: Any, text: str) -> None:
    """Check ``reply`` is a 400 in the one error shape naming ``where`` and the condition
    (a long one by its start)."""
    assert reply.status_code == 400, (text, reply.status_code)
    body = reply.json()
    assert "where" in body["fields"], body
    assert repr(text)[:30] in body["detail"], body


# --- REST, dashboard, CLI: the filters -----------------------------------------------------


@pytest.fixture
def clients(world, settings) -> tuple[Client, Client]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    key = api_key_create(project=world.alpha, name="t").secret
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")
    dashboard = Client(raise_request_exception=False)
    dashboard.force_login(world.viewer)
    return api, dashboard


def _filters_agree(world: Any, api: Client, dashboard: Client, name: str, v: str, n: int) -> None:
    stored = _seed(world, name, v, n)
    feed = reverse("project-responses", args=["alpha"])
    for op, value, must, may in _expected(v, n):
        where = _where(name, op, value)
        if ":" in name:
            # The first ":" ends the name: another condition, or a malformed one; never a 500.
            assert api.get("/api/v1/responses", {"where": where}).status_code < 500
            assert dashboard.get(feed, {"where": where}).status_code < 500
            continue
        reply = api.get("/api/v1/responses", {"where": where, "limit": 100})
        assert reply.status_code == 200, (where, reply.status_code, reply.content[:300])
        _check(where, _labels(stored, [i["id"] for i in reply.json()["items"]]), must, may)

        page = dashboard.get(feed, {"where": where, "period": "30d"})
        assert page.status_code == 200, (where, page.status_code)
        assert page.context["view"].problems == [], page.context["view"].problems
        got = _labels(stored, [c.public_id for c in page.context["cards"]])
        _check(where, got, must, may)
        # The count comes from the analytics selector (the rollups where they can answer).
        assert page.context["page"].paginator.count == len(got), where

        out = io.StringIO()
        call_command(
            "report", project="alpha", where=[where], since="30d", format="json", stdout=out
        )
        assert json.loads(out.getvalue())["rows"][0]["n"] == len(got), where


def _breakdowns_agree(
    world: Any, api: Client, dashboard: Client, name: str, v: str, n: int
) -> None:
    """The Segments page, ``GET /api/v1/metrics?by=`` and ``promoter report --by`` count each
    value of the property (stored by ``_filters_agree``'s seed, in the same example)."""
    # SQLite's text of a JSON null is "null" (Django's key transform, the rollups alike).
    unset = {"null": 1, NOT_SET: 3} if connection.vendor == "sqlite" else {NOT_SET: 4}
    expected = {v: 1, str(n): 1, v + "-2": 1, **unset}
    segments = reverse("project-segments", args=["alpha"])
    page = dashboard.get(segments, {"by": name, "period": "30d"})
    assert page.status_code == 200, (name, page.status_code)
    assert {r["value"]: r["summary"].n for r in page.context["rows"]} == expected, name
    if ":" not in name:
        # The value's link shows the segment: the same property and value, read back.
        link = re.search(f'href="([^"]*)" data-segment="{re.escape(escape(v))}"', page.text)
        assert link is not None, (name, v)
        shown = dashboard.get(html.unescape(link.group(1)))
        assert shown.context["by"] == name, (name, link.group(1))
        assert shown.context["view"].conditions == [Condition(name, "eq", v)], link.group(1)
    reply = api.get("/api/v1/metrics", {"by": name, "since": "2000-01-01T00:00:00Z"})
    assert reply.status_code == 200, (name, reply.content[:300])
    assert {g["value"]: g["n"] for g in reply.json()["breakdown"]} == expected, name
    out = io.StringIO()
    call_command("report", project="alpha", by=name, since="30d", format="json", stdout=out)
    rows = json.loads(out.getvalue())["rows"][1:]
    assert {r["group"]: r["n"] for r in rows} == expected, name


@_settings()
@_examples
@given(name=NAMES, v=VALUES, n=NUMBERS)
def test_any_property_name_filters_and_breaks_down_as_a_json_key(world, clients, name, v, n):
    api, dashboard = clients
    with _rolled_back():
        _filters_agree(world, api, dashboard, name, v, n)
        _breakdowns_agree(world, api, dashboard, name, v, n)


# --- routing rules and survey targeting ------------------------------------------------------


def _one_line(name: str) -> bool:
    return name == name.strip() and len(f"{name}:eq:1".splitlines()) == 1


def _routing_agrees(world: Any, admin: Client, name: str, v: str, n: int) -> None:
    """Rules made in the dashboard's rule form route exactly the matching responses."""
    destination = destination_create(
        project=world.alpha, kind="webhook", name="Hook", data={"url": "https://hooks.example"}
    )
    url = reverse("project-integration-rules", args=["alpha", destination.public_id])
    checks = _expected(v, n)
    rules = {}
    for op, value, _must, _may in checks:
        where = _where(name, op, value)
        reply = admin.post(url, {"events": "response.created", "conditions": where})
        assert reply.status_code == 302, (where, reply.status_code)
        rules[where] = destination.rules.order_by("-pk").first()
        assert rules[where].conditions[0]["property"] == name, (where, rules[where].conditions)
    stored = _seed(world, name, v, n)
    for response in stored.values():
        response_stored(response=response)
    for op, value, must, may in checks:
        where = _where(name, op, value)
        routed = Delivery.objects.filter(rule=rules[where]).values_list(
            "response__public_id", flat=True
        )
        got = _labels(stored, routed)
        # The rules run the targeting engine: its "gt" on text is no match.
        _check(where, got, must, set() if op in ("gt", "lte") else may)


def _targeting_agrees(world: Any, admin: Client, client: Client, name: str, v: str, n: int) -> None:
    """Targeting saved through the survey form lets exactly the matching people through."""
    checks = {"nps": ("eq", v, set("A")), "csat": ("missing", None, set("CDEG")),
              "ces": ("gt", n - 1, set("B"))}  # fmt: skip
    surveys = {s.kind: s for s in world.alpha.surveys.all()}
    for kind in checks.keys() - surveys.keys():
        surveys[kind] = survey_create(project=world.alpha, kind=kind)
    form = {
        "is_active": "on", "channels": ["web"], "delay_seconds": "0",
        "first_survey_after_days": "0", "resurvey_after_days": "60",
        "after_decline_days": "30", "sampling_percent": "100",
        "anonymous_sampling_percent": "100",
    }  # fmt: skip
    for kind, (op, value, _) in checks.items():
        survey = surveys[kind]
        condition = {"property": name, "op": op, "value": value}
        reply = admin.post(
            reverse("project-survey", args=["alpha", survey.public_id]),
            {**form, "name": survey.name, "targeting_text": render_targeting([condition])},
        )
        assert reply.status_code == 302, (kind, reply.status_code)
        survey.refresh_from_db()
        assert survey.targeting == [condition], (survey.targeting, condition)
    cache.clear()
    for label, properties in _properties(name, v, n).items():
        if any(isinstance(value, dict) for value in properties.values()):
            continue  # the widget sends flat properties (nested ones are refused)
        for kind, (op, value, must) in checks.items():
            body = {
                "key": world.alpha.public_key,
                "user": {"id": f"{label}-{kind}", "properties": properties},
                "survey": str(surveys[kind].public_id),
            }
            reply = client.post("/i/v1/eligibility", json.dumps(body), "application/json")
            assert reply.status_code == 200, (kind, label, reply.content[:300])
            passed = reply.json()["reason"] != "targeting"
            assert passed == (label in must), (name, kind, op, value, label, reply.json())


@pytest.fixture
def admin(world) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    return client


@_settings()
@_examples
@given(name=NAMES, v=VALUES, n=NUMBERS)
def test_any_property_name_routes_and_targets_as_a_json_key(world, admin, settings, name, v, n):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    ingest = Client(raise_request_exception=False)
    with _rolled_back():
        if ":" not in name and _one_line(name):
            _routing_agrees(world, admin, name, v, n)
        else:
            # Not a line of the rule form: refused or another condition, never a 500.
            url = reverse("project-integrations", args=["alpha"])
            assert admin.get(url).status_code == 200
    with _rolled_back():
        # The targeting lines: `name op value`, split on spaces; "#" starts a comment.
        if name and not any(c.isspace() for c in name) and not name.startswith("#"):
            _targeting_agrees(world, admin, ingest, name, v, n)


# --- the probe's exact URLs ----------------------------------------------------------------

PROBES = ["plan__contains", "plan__gt", "plan__in", "plan__regex", "plan__startswith"]


@pytest.mark.parametrize("name", PROBES)
def test_the_probes_lookup_names_are_keys_on_rest_and_dashboard(world, clients, name):
    api, dashboard = clients
    survey = world.alpha.surveys.get(kind="nps")
    now = timezone.now()
    ids = {}
    for label, properties in {"key": {name: 1}, "plan": {"plan": 1}, "none": {}}.items():
        person = EndUser.objects.create(
            project=world.alpha, external_id=label, properties=properties,
            first_seen_at=now, last_seen_at=now,
        )  # fmt: skip
        response, _ = response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=person, score=9, now=now
        )
        ids[str(response.public_id)] = label
    reply = api.get(f"/api/v1/responses?where={name}:eq:1")
    assert reply.status_code == 200, reply.content[:300]
    assert [ids[i["id"]] for i in reply.json()["items"]] == ["key"]
    page = dashboard.get(f"/p/alpha/responses/?where={name}:eq:1")
    assert page.status_code == 200
    assert [ids[str(c.public_id)] for c in page.context["cards"]] == ["key"]


MALFORMED = ["plan", "plan:like:1", "plan:in:" + ",x" * 500, "p:contains:" + "x" * 5000]


def test_a_malformed_condition_is_a_400_naming_it_and_the_cli_says_one_line(
    world, clients, capsys, monkeypatch
):
    # A command run from the command line closes the connections (the test's database).
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    api, dashboard = clients
    feed = reverse("project-responses", args=["alpha"])
    for text in MALFORMED:
        _refused_naming(api.get("/api/v1/responses", {"where": text}), text)
        _refused_naming(api.get("/api/v1/metrics", {"where": text}), text)
        page = dashboard.get(feed, {"where": text})
        assert page.status_code == 200
        assert any(repr(text)[:30] in p for p in page.context["view"].problems), text
    for text in [*MALFORMED, "plan:eq:\x00", "plan:eq:\udcff"]:
        with pytest.raises(SystemExit) as exited:
            cli_main(["promoter", "report", "--project", "alpha", "--where", text])
        assert exited.value.code == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("CommandError: --where '"), lines
    many = [f"p{i}:exists" for i in range(200)]
    reply = api.get("/api/v1/responses", {"where": many})
    assert reply.status_code == 400 and "where" in reply.json()["fields"], reply.content[:300]
    assert "at most 20" in reply.json()["detail"]
