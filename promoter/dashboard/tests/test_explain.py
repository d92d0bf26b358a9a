"""The eligibility explainer: rule by rule, without writing anything."""

from __future__ import annotations

import datetime
import uuid

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from promoter.people.models import EndUser
from promoter.responses.services import response_create
from promoter.surveys.services import survey_create, survey_update

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
XSS = "<img src=x onerror=alert(1)>"


def explain(world, who: str, role: str = "viewer", **params: str):
    url = reverse("project-explain", args=["alpha"])
    return world.client_for(role).get(url, {"who": who, **params})


def test_a_new_person_would_be_surveyed(world):
    page = explain(world, "nobody-yet").content.decode()
    assert "Nobody with this id or e-mail has been seen yet" in page
    assert "Would be surveyed now with" in page
    assert EndUser.objects.count() == 0


def test_a_person_who_answered_is_throttled_until_a_date(world, django_assert_max_num_queries):
    world.alpha.timezone = "Europe/Paris"
    world.alpha.save()
    survey = world.alpha.surveys.get(kind="nps")
    person = EndUser.objects.create(
        project=world.alpha,
        external_id="usr_1",
        email="ada@example.com",
        properties={"plan": "pro", "note": XSS},
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    with time_machine.travel(NOW, tick=False):
        response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=person, score=8, now=timezone.now()
        )
    client = world.client_for("viewer")
    url = reverse("project-explain", args=["alpha"])
    with (
        time_machine.travel(NOW + datetime.timedelta(days=10), tick=False),
        django_assert_max_num_queries(7) as captured,
    ):
        page = client.get(url, {"who": "ada@example.com"}).content.decode()
    assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in captured.captured_queries)
    assert "Would not be surveyed now" in page
    assert "throttled_response" in page
    assert "✗ fails" in page
    # 90 days after the response, shown in the project's timezone (UTC+1 in winter).
    assert "2027-01-31 11:00 CET" in page
    assert "Sunday 31 January 2027, 11:00 CET</strong> (in 2\xa0months" in page
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_looking_someone_up_writes_nothing(world):
    person = EndUser.objects.create(
        project=world.alpha,
        external_id="usr_2",
        properties={"plan": "free"},
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    client = world.client_for("viewer")  # logging in writes a session: before capturing
    url = reverse("project-explain", args=["alpha"])
    with CaptureQueriesContext(connection) as captured:
        for who in ("usr_2", "unknown", "new@example.com"):
            assert client.get(url, {"who": who, "channel": "ios"}).status_code == 200
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert EndUser.objects.count() == 1
    person.refresh_from_db()
    assert person.last_seen_at == NOW


def test_every_rule_is_shown_with_the_failing_one(world):
    survey = world.alpha.surveys.get(kind="nps")
    survey.targeting = [{"property": "plan", "op": "in", "value": ["pro", "enterprise"]}]
    survey.save()
    EndUser.objects.create(
        project=world.alpha,
        external_id="usr_3",
        properties={"plan": "free"},
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    page = explain(world, "usr_3", role="member").content.decode()
    assert "Would not be surveyed now (<code>targeting</code>)" in page
    assert "does not match: plan in [&#x27;pro&#x27;, &#x27;enterprise&#x27;]" in page
    for rule in ("disabled", "targeting", "not_yet", "throttled_response", "throttled_decline"):
        assert f"<td><code>{rule}</code></td>" in page
    for rule in ("fatigue", "sampled_out", "daily_cap"):
        assert f"<td><code>{rule}</code></td>" in page
    assert "No date: a rule other than time blocks them." in page
    assert '<th scope="row">plan</th><td>free</td>' in page


def test_surveys_on_other_events_and_after_the_chosen_one_are_named(world):
    survey_create(project=world.alpha, kind="csat", name="Checkout CSAT")
    late = survey_create(project=world.alpha, kind="ces", name="Checkout CES")
    survey_update(survey=late, data={"trigger_event": "checkout"})
    page = explain(world, "someone").content.decode()
    assert "Not evaluated, as the first eligible survey is the one shown: Checkout CSAT." in page
    assert "Checkout CES (<code>checkout</code>)" in page
    page = explain(world, "someone", event="checkout").content.decode()
    assert "Would be surveyed now with <strong>Checkout CES</strong>" in page


def test_an_event_with_no_survey_says_so(world):
    page = explain(world, "x", event="nothing_here").content.decode()
    assert "No active survey is shown on the event" in page


def test_the_page_rule_is_explained_for_the_page_given(world):
    survey = world.alpha.surveys.get(kind="nps")
    survey_update(
        survey=survey,
        data={"pages": {"include": [{"op": "matches", "value": "/billing/*"}]}},
    )
    page = explain(world, "usr_9", url="https://app.example.com/settings?x=1").content.decode()
    assert "Would not be surveyed now (<code>page</code>)" in page
    assert "No date: a rule other than time blocks them." in page
    assert "on /settings: not one of the survey&#x27;s pages (matches /billing/*)" in page
    assert 'value="https://app.example.com/settings?x=1"' in page
    page = explain(world, "usr_9", url="https://app.example.com/billing/invoices").content.decode()
    assert "Would be surveyed now with" in page
    assert "on /billing/invoices: “matches /billing/*”" in page
    page = explain(world, "usr_9").content.decode()
    assert "the page is unknown (no url was sent), and the survey names pages" in page
    assert "no page given" in page
    assert EndUser.objects.count() == 0
