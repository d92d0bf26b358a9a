"""The Import page: upload, the mapping step with every row checked, then all or nothing."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from promoter.responses.models import Response

GOOD = b"When,Rating,Why,Plan\n2026-09-01,9,Love it,pro\n2026-09-02,3,Slow,free\n"
BAD = GOOD + b"2026-09-03,12,Huh,pro\n"


def upload(client, data, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": "", "file": SimpleUploadedFile("responses.csv", data)},
    )
    return reply


def test_upload_map_check_and_import(world, settings, tmp_path):
    client = world.client_for("admin")
    survey = world.alpha.surveys.get(kind="nps")
    settings.DATA_DIR = tmp_path
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": str(survey.public_id), "file": SimpleUploadedFile("r.csv", GOOD)},
    )
    check_url = reply["Location"]
    page = client.get(check_url)
    assert page.status_code == 400 and "No created at column" in page.content.decode()
    mapping = {"map_created_at": "When", "map_score": "Rating", "map_comment": "Why"}
    page = client.get(check_url, mapping)
    html = page.content.decode()
    assert (
        'data-total="2" data-valid="2"' in html and "Other columns become properties: Plan" in html
    )
    done = client.post(check_url, {**mapping, "action": "import"}, follow=True)
    assert "Imported 2 responses" in done.content.decode()
    assert sorted(Response.objects.values_list("score", flat=True)) == [3, 9]
    assert not list(tmp_path.glob("imports/*"))  # the upload is gone


def test_bad_rows_block_the_import_unless_valid_only(world, settings, tmp_path):
    client = world.client_for("admin")
    survey = world.alpha.surveys.get(kind="nps")
    settings.DATA_DIR = tmp_path
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": str(survey.public_id), "file": SimpleUploadedFile("r.csv", BAD)},
    )
    check_url = reply["Location"]
    mapping = {"map_created_at": "When", "map_score": "Rating", "map_comment": "Why"}
    html = client.get(check_url, mapping).content.decode()
    assert "Row 4: score &#x27;12&#x27; is not a whole number from 0 to 10." in html
    refused = client.post(check_url, {**mapping, "action": "import"})
    assert refused.status_code == 400 and not Response.objects.exists()
    client.post(check_url, {**mapping, "action": "valid_only"})
    assert Response.objects.count() == 2


def test_members_cannot_import_and_tokens_are_per_project(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    survey = world.alpha.surveys.get(kind="nps")
    reply = world.client_for("member").post(
        reverse("project-import", args=["alpha"]),
        {"survey": str(survey.public_id), "file": SimpleUploadedFile("r.csv", GOOD)},
    )
    assert reply.status_code == 403
    admin = world.client_for("admin")
    reply = admin.post(
        reverse("project-import", args=["alpha"]),
        {"survey": str(survey.public_id), "file": SimpleUploadedFile("r.csv", GOOD)},
    )
    token = re.search(r"/import/([^/]+)/", reply["Location"]).group(1)
    outsider = world.client_for("outsider")
    assert outsider.get(reverse("project-import-check", args=["beta", token])).status_code == 302
    assert outsider.get(reverse("project-import-check", args=["alpha", token])).status_code == 404


def test_an_import_refused_while_it_runs_says_why_and_stores_nothing(
    world, settings, tmp_path, monkeypatch
):
    """What the file links to was deleted while it was imported (imports._hold): a 409 with
    the one line, the upload kept for another try."""
    from promoter.core.errors import ApplicationError
    from promoter.dashboard import import_views

    def refused(**kwargs):
        raise ApplicationError(
            code="conflict",
            status=409,
            detail="1 of the people this file links to were deleted while it was imported;"
            " nothing was imported. Run it again.",
        )

    monkeypatch.setattr(import_views, "import_rows", refused)
    client = world.client_for("admin")
    survey = world.alpha.surveys.get(kind="nps")
    settings.DATA_DIR = tmp_path
    reply = client.post(
        reverse("project-import", args=["alpha"]),
        {"survey": str(survey.public_id), "file": SimpleUploadedFile("r.csv", GOOD)},
    )
    mapping = {"map_created_at": "When", "map_score": "Rating", "map_comment": "Why"}
    page = client.post(reply["Location"], {**mapping, "action": "import"})
    assert page.status_code == 409
    assert "were deleted while it was imported" in page.content.decode()
    assert not Response.objects.exists() and list(tmp_path.glob("imports/*"))
