"""Run by test_replica_streaming.py in a process of its own, with DATABASE_URL naming a primary
and DATABASE_REPLICA_URL its hot standby: drives the dashboard and the REST API through the
real router and prints what each connection saw, as JSON on the last line.

Replay on the standby is paused in the middle, so the replica is behind by a known write.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    django.setup()
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from promoter.accounts.models import User
    from promoter.accounts.services import api_key_create
    from promoter.actions.projects import project_create
    from promoter.responses.models import Response
    from promoter.responses.services import response_create

    def replica_sql(fn: Callable[[], Any]) -> tuple[Any, int]:
        with CaptureQueriesContext(connections["replica"]) as queries:
            result = fn()
        return result, len(queries.captured_queries)

    def standby(sql: str) -> Any:
        with connections["replica"].cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def wait_for_replay(n: int) -> None:
        deadline = time.monotonic() + 30
        while standby("SELECT COUNT(*) FROM responses_response") != n:
            if time.monotonic() > deadline:
                raise SystemExit("the standby did not catch up in 30 s")
            time.sleep(0.05)

    owner = User.objects.create_user("standby@example.com", "standby-password-1")
    project = project_create(owner=owner, name="Standby", slug="standby")
    survey = project.surveys.get(kind="nps")
    for i in range(20):
        response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=None, score=i % 11, now=timezone.now()
        )
    wait_for_replay(20)
    seen: dict[str, Any] = {}

    browser = Client()
    browser.force_login(owner)
    overview = reverse("project-overview", args=["standby"])
    page, seen["overview_replica_queries"] = replica_sql(lambda: browser.get(overview))
    seen["overview_status"] = page.status_code

    standby("SELECT pg_wal_replay_pause()::text")  # from now on the replica falls behind
    writer, reader = (api_key_create(project=project, name=n).secret for n in ("w", "r"))

    def metrics(secret: str) -> int:
        got = Client().get("/api/v1/metrics", HTTP_AUTHORIZATION=f"Bearer {secret}")
        n: int = got.json()["overall"]["n"]
        return n

    created = Client().post(
        "/api/v1/responses",
        {"survey": str(survey.public_id), "score": 10, "person": {"email": "a@example.com"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {writer}",
    )
    seen["api_write_status"] = created.status_code
    seen["writer_reads_n"] = metrics(writer)  # pinned to the primary: sees its write
    seen["other_key_reads_n"] = metrics(reader)  # the lagging replica: does not yet
    closed = Response.objects.filter(survey=survey).first()
    assert closed is not None
    status_url = reverse("project-response-status", args=["standby", closed.public_id])

    def post_then_get() -> int:
        browser.post(status_url, {"status": "closed"})
        return browser.get(overview).status_code

    seen["after_post_status"], seen["after_post_replica_queries"] = replica_sql(post_then_get)
    standby("SELECT pg_wal_replay_resume()::text")
    wait_for_replay(21)
    seen["other_key_reads_n_after_replay"] = metrics(reader)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
