"""Tenant scoping happens in one place: no view or API module queries a tenant's model
itself. They look objects up through ``promoter/access.py`` (by an id that came from
outside, within the caller's project), read through the selectors and write through the
services and actions, which take the project from there. A new ``Model.objects`` in a view
or API module fails here, so a new page or operation cannot skip the check.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

PROMOTER = Path(__file__).resolve().parents[1]
# The models that belong to a tenant (a project), or are a tenant's users.
TENANT_APPS = ("accounts", "people", "surveys", "responses", "analytics", "integrations",
               "channels")  # fmt: skip


def _tenant_models() -> set[str]:
    return {
        model.__name__ for label in TENANT_APPS for model in apps.get_app_config(label).get_models()
    }


def _view_and_api_modules() -> list[Path]:
    """Where requests come in: every app's views, the REST and Delighted APIs, the widget's."""
    found = set(PROMOTER.glob("*/views.py")) | set(PROMOTER.glob("*/*_views.py"))
    found |= {p for p in (PROMOTER / "api").rglob("*.py") if "tests" not in p.parts}
    found |= {PROMOTER / "ingest" / "api.py"}
    return sorted(found)


def _queries(module: Path, models: set[str]) -> list[str]:
    """Return ``Model.objects`` (and ``Model._default_manager``) uses of ``models``."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("objects", "_default_manager")
            and isinstance(node.value, ast.Name)
            and node.value.id in models
        ):
            found.append(f"{module.relative_to(PROMOTER.parent)}:{node.lineno}: {node.value.id}")
    return found


def test_no_view_or_api_module_queries_a_tenant_model():
    models = _tenant_models()
    found = [query for module in _view_and_api_modules() for query in _queries(module, models)]
    assert found == [], "look it up through promoter/access.py, a selector or a service"


def test_the_check_sees_the_modules_and_the_models():
    modules = {str(p.relative_to(PROMOTER)) for p in _view_and_api_modules()}
    assert {"dashboard/views.py", "api/people.py", "api/compat/delighted.py", "ingest/api.py",
            "channels/views.py", "accounts/views.py"} <= modules  # fmt: skip
    assert {"Survey", "Response", "EndUser", "Destination", "Invitation", "Membership"} <= (
        _tenant_models()
    )
    # It sees a query: the same scan over a module written for it.
    probe = PROMOTER / "tests" / "probe_views.py"
    probe.write_text("def view(request):\n    return Survey.objects.filter(pk=1)\n")
    try:
        assert _queries(probe, {"Survey"}) == ["promoter/tests/probe_views.py:2: Survey"]
    finally:
        probe.unlink()
