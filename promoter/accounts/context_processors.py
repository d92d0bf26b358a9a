from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from promoter.access import projects_for_user


def projects(request: HttpRequest) -> dict[str, Any]:
    """Give every page the project switcher's entries, lazily (no query unless rendered)."""
    return {"switcher_memberships": lambda: projects_for_user(user=request.user)}
