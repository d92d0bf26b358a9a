"""API keys of a project, on its Settings page (admins): create (the key is shown once),
list without the secret, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from promoter.access import api_key_get_in_project, membership_get_for_user
from promoter.accounts.models import Role
from promoter.accounts.services import api_key_create, api_key_revoke

NEW_KEY = "promoter.new_api_key"


@login_required
@require_POST
def apikey_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    name = " ".join(request.POST.get("name", "").split())[:100] or "API key"
    new = api_key_create(
        project=membership.project,
        name=name,
        read_only=request.POST.get("read_only") == "on",
        created_by=request.user,  # type: ignore[arg-type]
    )
    request.session[NEW_KEY] = {"name": name, "secret": new.secret}
    messages.success(request, f"Created the key {name!r}: copy it now, it is shown once.")
    return redirect("project-settings", slug=slug)


@login_required
@require_POST
def apikey_revoke(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    key = api_key_get_in_project(project=membership.project, public_id=key_id)
    api_key_revoke(api_key=key)
    messages.success(request, f"Revoked {key.name!r}: it stops working at once.")
    return redirect("project-settings", slug=slug)
