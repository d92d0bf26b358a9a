"""API keys on the Settings page: created by admins and shown once, listed without the
secret, revoked at once."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from promoter.accounts.models import ApiKey


def test_an_admin_creates_sees_once_and_revokes_a_key(world):
    client = world.client_for("admin")
    client.post(
        reverse("project-apikey-create", args=["alpha"]), {"name": "CRM", "read_only": "on"}
    )
    page = client.get(reverse("project-settings", args=["alpha"])).content.decode()
    secret = re.search(r"<code data-secret>(sk_[^<]+)</code>", page).group(1)
    key = ApiKey.objects.get()
    assert key.read_only and key.name == "CRM"
    api = Client()
    assert api.get("/api/v1/surveys", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    again = client.get(reverse("project-settings", args=["alpha"])).content.decode()
    assert secret not in again and f"sk_{key.lookup}_…" in again
    viewer = world.client_for("viewer").get(reverse("project-settings", args=["alpha"]))
    assert "Create a key" not in viewer.content.decode()
    client.post(reverse("project-apikey-revoke", args=["alpha", key.public_id]))
    assert api.get("/api/v1/surveys", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
