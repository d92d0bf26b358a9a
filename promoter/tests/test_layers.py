"""The import rule of docs/architecture.md, checked on every module: an import points down,
never up, and an interface never imports another interface's views.

Layers, from the bottom: ``core``; the domain apps in their order (accounts, people, surveys,
responses, analytics and text, integrations); ``actions``; ``channels`` (e-mail and link
surveys: invitations and answers are use cases that call the actions); the interfaces
(ingest, api, dashboard, demo, the CLI's commands, and every app's views, urls and forms).
A module may import its own app and anything below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROMOTER = Path(__file__).resolve().parents[1]
LEVELS = {
    "core": 0,
    "accounts": 1,
    "people": 2,
    "surveys": 3,
    "responses": 4,
    "analytics": 5,
    "text": 5,
    "integrations": 6,
    "actions": 7,
    "channels": 8,
}
INTERFACE = 9
INTERFACE_APPS = {"ingest", "api", "dashboard", "demo", "management"}
# Modules of any app that are an interface: they translate requests and commands.
INTERFACE_MODULES = {"views", "urls", "forms", "context_processors", "templatetags"}
# The project's own modules: the settings' environment parsing sits with core.
PROJECT_LEVELS = {"env": 0}
# Imports of another interface that are its purpose, each with its reason.
ALLOWED = {
    # The root URLconf includes every app's routes.
    ("promoter/urls.py", "*"),
    # `promoter openapi` exports the two Ninja APIs' documents.
    ("promoter/management/commands/openapi.py", "promoter.api.api"),
    ("promoter/management/commands/openapi.py", "promoter.ingest.api"),
    # The Install page and the demo page embed the widget's script by its URL.
    ("promoter/dashboard/views.py", "promoter.ingest.widget"),
    ("promoter/demo/views.py", "promoter.ingest.widget"),
    # The survey designer's preview runs the real widget's two scripts.
    ("promoter/dashboard/questions_views.py", "promoter.ingest.widget"),
    # `promoter demo` serves as `promoter serve` does.
    ("promoter/demo/management/commands/demo.py", "promoter.management.commands.serve"),
}


def _where(module: Path) -> tuple[str, int, bool]:
    """Return the app of ``module``, its level, and whether it is an interface module."""
    parts = module.relative_to(PROMOTER).with_suffix("").parts
    if len(parts) == 1:
        return "", PROJECT_LEVELS.get(parts[0], INTERFACE), False
    app = parts[0]
    interface = (
        app in INTERFACE_APPS
        or "management" in parts
        or any(part in INTERFACE_MODULES for part in parts[1:])
        or parts[-1].endswith("_views")
    )
    return app, INTERFACE if interface else LEVELS[app], interface


def _imports(module: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("promoter.")]


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(PROMOTER.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(PROMOTER).parts)
        and path.name != "conftest.py"
    ]


def _is_entry(module: Path) -> bool:
    """Whether ``module`` is where requests or commands come in: views, URLs, an API's
    operations, a command (forms and the widget's asset are shared by the pages)."""
    app, _level, interface = _where(module)
    return interface and (
        module.stem in ("views", "urls", "api")
        or module.stem.endswith("_views")
        or "management" in module.parts
        or app in ("ingest", "api")
    )


def _target(name: str) -> Path:
    parts = name.split(".")[1:]
    path = PROMOTER.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_every_import_points_down():
    wrong = []
    for module in _modules():
        app, level, interface = _where(module)
        shown = str(module.relative_to(PROMOTER.parent))
        for line, name in _imports(module):
            target = _target(name)
            if not target.exists() or "tests" in target.parts:
                continue
            their_app, their_level, theirs_interface = _where(target)
            if (shown, "*") in ALLOWED or (shown, name) in ALLOWED:
                continue
            if their_app == app and app:
                if theirs_interface and not interface:
                    wrong.append(f"{shown}:{line}: the domain imports its interface {name}")
                continue
            if their_level > level:
                wrong.append(f"{shown}:{line}: {app or 'promoter'} imports {name}, above it")
            elif interface and their_app != app and _is_entry(target):
                wrong.append(f"{shown}:{line}: an interface imports another's {name}")
    assert wrong == []


def test_the_layers_name_every_app():
    apps = {p.name for p in PROMOTER.iterdir() if (p / "__init__.py").exists()}
    assert apps - {"tests", "static", "templates"} == set(LEVELS) | INTERFACE_APPS
