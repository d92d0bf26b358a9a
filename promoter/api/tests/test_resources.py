"""The REST API's resources: people, responses, declines, surveys, tags and metrics, with
cursor pagination, rate limits and the one error shape."""

from __future__ import annotations

import datetime
import json
import uuid

from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.analytics import metrics
from promoter.analytics.selectors import ResponseFilter, histogram
from promoter.demo.seed import seed_project
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Response


class Api:
    def __init__(self, key: str) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self.auth)

    def send(self, method, path, body):
        return getattr(self.client, method)(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self.auth
        )


def api_for(project, read_only=False) -> Api:
    return Api(api_key_create(project=project, name="t", read_only=read_only).secret)


def test_people_create_update_get_list_with_cursor_pages(world):
    api = api_for(world.alpha)
    created = api.send(
        "post", "/people", {"email": "ann@example.com", "properties": {"plan": "pro"}}
    )
    assert created.status_code == 201
    again = api.send("post", "/people", {"email": "ann@example.com", "properties": {"seats": 5}})
    assert again.status_code == 200 and again.json()["properties"] == {"plan": "pro", "seats": 5}
    for i in range(5):
        api.send("post", "/people", {"external_id": f"u-{i}"})
    first = api.get("/people", {"limit": 4})
    assert len(first.json()["items"]) == 4 and 'rel="next"' in first["Link"]
    cursor = first.json()["next_cursor"]
    second = api.get("/people", {"limit": 4, "cursor": cursor}).json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    ids = [p["id"] for p in first.json()["items"] + second["items"]]
    assert len(set(ids)) == 6
    assert api.get("/people/email:ann@example.com").json()["properties"]["seats"] == 5
    assert api.get("/people/id:u-3").json()["external_id"] == "u-3"
    patched = api.send(
        "patch", "/people/id:u-3", {"email": "u3@example.com", "properties": {"a": 1}}
    )
    assert patched.json()["email"] == "u3@example.com"
    clash = api.send("patch", "/people/id:u-4", {"email": "ANN@example.com"})
    assert clash.status_code == 409 and clash.json()["fields"] == {"email": "taken"}
    bad = api.send("post", "/people", {"properties": {}})
    assert bad.status_code == 400 and "external_id" in bad.json()["fields"]
    assert api.get("/people", {"cursor": "forged"}).status_code == 400
    assert "limit" in api.get("/people", {"limit": 0}).json()["fields"]


def test_record_a_response_idempotently_then_list_filter_and_change_it(world):
    api = api_for(world.alpha)
    survey = world.alpha.surveys.get(kind="nps")
    rid = str(uuid.uuid4())
    body = {
        "id": rid,
        "survey": str(survey.public_id),
        "score": 3,
        "comment": "Too slow",
        "person": {"email": "jane@example.com", "properties": {"plan": "pro"}},
    }
    created = api.send("post", "/responses", body)
    assert created.status_code == 201
    out = created.json()
    assert (out["category"], out["channel"], out["person"]["email"]) == (
        "detractor",
        "api",
        "jane@example.com",
    )
    assert out["properties"] == {"plan": "pro"} and out["sentiment"] < 0
    assert api.send("post", "/responses", body).status_code == 200  # a retry: the same one
    assert Response.objects.count() == 1
    other = api.send("post", "/responses", {**body, "person": {"email": "bob@example.com"}})
    assert other.status_code == 409
    assert (
        api.send("post", "/responses", {**body, "id": str(uuid.uuid4()), "score": 11}).status_code
        == 400
    )
    api.send("post", "/responses", {"survey": str(survey.public_id), "score": 10})
    detractors = api.get("/responses", {"category": "detractor"}).json()["items"]
    assert [r["id"] for r in detractors] == [rid]
    assert len(api.get("/responses", {"where": "plan:eq:pro"}).json()["items"]) == 1
    assert len(api.get("/responses", {"has_comment": "false"}).json()["items"]) == 1
    changed = api.send(
        "patch",
        f"/responses/{rid}",
        {"comment": "Too slow on Mondays", "add_tags": ["Speed"], "status": "closed"},
    )
    assert changed.status_code == 200
    out = changed.json()
    assert (out["comment"], out["tags"], out["status"]) == (
        "Too slow on Mondays",
        ["Speed"],
        "closed",
    )
    assert [r["id"] for r in api.get("/responses", {"tag": "speed"}).json()["items"]] == [rid]
    removed = api.send("patch", f"/responses/{rid}", {"remove_tags": ["Speed"]}).json()
    assert removed["tags"] == []
    assert api.get(f"/responses/{uuid.uuid4()}").status_code == 404


def test_declines_surveys_tags(world):
    api = api_for(world.alpha)
    survey = world.alpha.surveys.get(kind="nps")
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, external_id="u1", first_seen_at=now, last_seen_at=now
    )
    Decline.objects.create(project=world.alpha, survey=survey, end_user=person, created_at=now)
    assert api.get("/declines").json()["items"][0]["person"]["external_id"] == "u1"
    assert [x["kind"] for x in api.get("/surveys").json()] == ["nps"]
    patched = api.send("patch", f"/surveys/{survey.public_id}", {"resurvey_after_days": 45})
    assert patched.json()["resurvey_after_days"] == 45
    assert (
        api.send("patch", f"/surveys/{survey.public_id}", {"sampling_percent": 150}).status_code
        == 400
    )
    assert api.get("/tags").json() == []


def test_metrics_equal_the_dashboards_figures(world):
    until = timezone.now()
    seed_project(project=world.alpha, responses=400, seed=5, until=until)
    api = api_for(world.alpha)
    survey = world.alpha.surveys.get(kind="nps")
    since = until - datetime.timedelta(days=90)
    document = api.get(
        "/metrics",
        {"since": since.isoformat(), "until": until.isoformat(), "by": "plan", "bucket": "month"},
    ).json()
    expected = metrics.summarize(
        "nps",
        histogram(project=world.alpha, flt=ResponseFilter(survey=survey, since=since, until=until)),
    )
    assert document["overall"]["n"] == expected.n > 0
    assert abs(document["overall"]["score"] - expected.score) < 1e-9
    assert sum(row["n"] for row in document["breakdown"]) == expected.n
    assert sum(row["n"] for row in document["trend"]) == expected.n
    assert api.get("/metrics", {"where": "nonsense"}).status_code == 400


def test_rate_limits_answer_429_with_retry_after(world, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    api = api_for(world.alpha)
    codes = [api.get("/surveys").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get("/surveys")
    assert limited.json()["code"] == "rate_limited" and 1 <= int(limited["Retry-After"]) <= 61


def test_export_streams_csv_and_jsonl(world):
    seed_project(project=world.alpha, responses=40, seed=2, until=timezone.now())
    api = api_for(world.alpha, read_only=True)
    reply = api.get("/export/responses", {"format": "csv"})
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/csv")
    lines = b"".join(reply.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,created_at") and len(lines) == 41
    people = api.get("/export/people", {"format": "jsonl"})
    rows = [json.loads(line) for line in b"".join(people.streaming_content).decode().splitlines()]
    assert len(rows) == EndUser.objects.filter(project=world.alpha).count()
    assert api.get("/export/secrets").status_code == 400


def test_answers_are_written_on_create_and_patch_and_read_back(world):
    from promoter.responses.models import Answer
    from promoter.surveys.tests.asking import ask

    survey = world.alpha.surveys.get(kind="nps")
    ask(
        survey,
        {"id": "why", "type": "single_choice", "text": "Why {product}?",
         "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}]},
        {"id": "more", "type": "text", "text": "More?"},
    )  # fmt: skip
    api = api_for(world.alpha)
    body = {"survey": str(survey.public_id), "score": 10, "answers": {"why": "speed"}}
    created = api.send("post", "/responses", body)
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    assert created.json()["answers"] == [
        {"question": "why", "type": "single_choice", "text": "Why Alpha?", "version": 1,
         "value": {"choices": ["speed"]}, "labels": {"speed": "Speed"}},
    ]  # fmt: skip
    patched = api.send("patch", f"/responses/{rid}", {"answers": {"more": "Great docs"}})
    assert patched.status_code == 200, patched.content
    assert [a["question"] for a in patched.json()["answers"]] == ["why", "more"]
    listed = api.get("/responses").json()["items"]
    assert listed[0]["answers"][1]["value"] == {"text": "Great docs"}
    refused = api.send("patch", f"/responses/{rid}", {"answers": {"why": "nope"}})
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"answers.why": "'nope' is not one of its choices"}
    before = Response.objects.count()
    bad = {"survey": str(survey.public_id), "score": 10, "answers": {"why": ["speed", "price"]}}
    refused = api.send("post", "/responses", bad)
    assert refused.status_code == 400 and refused.json()["fields"] == {
        "answers.why": "takes one choice"
    }
    assert Response.objects.count() == before
    assert Answer.objects.count() == 2
