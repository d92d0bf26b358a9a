"""The Import page: upload a CSV or XLSX (a Delighted or Wootric export, or any
spreadsheet), check the column mapping and every row, then import all or nothing (or the
valid rows, by choice). Files over a few megabytes belong to ``promoter import``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from promoter.access import membership_get_for_user, survey_get_in_project
from promoter.accounts.models import Role
from promoter.actions.imports import ALIASES, detected, import_rows, plan, read_table
from promoter.core.errors import ApplicationError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 5


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload_path(project_pk: int, token: str) -> Path | None:
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    path = _folder() / f"{project_pk}-{token}"
    return path if path.exists() else None


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    required = Role.ADMIN if request.method == "POST" else Role.VIEWER
    membership = membership_get_for_user(user=request.user, slug=slug, role=required)
    project = membership.project
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV or XLSX file.")
        elif upload.size and upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, "Over 20 MB: use `promoter import` on the server instead.")
        else:
            survey = survey_get_in_project(
                project=project, public_id=request.POST.get("survey", "")
            )
            token = str(uuid.uuid4())
            file_name = upload.name or "upload.csv"
            suffix = ".xlsx" if file_name.lower().endswith(".xlsx") else ".csv"
            (_folder() / f"{project.pk}-{token}").write_bytes(upload.read())
            request.session[f"import:{token}"] = {
                "survey": str(survey.public_id),
                "suffix": suffix,
                "name": file_name[:200],
            }
            return redirect(reverse("project-import-check", args=[slug, token]))
    context = {
        "membership": membership,
        "project": project,
        "surveys": list(project.surveys.order_by("created_at", "pk")),
        "can_import": membership.has_role(Role.ADMIN),
    }
    return render(request, "dashboard/import.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_check(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The mapping step: which column is which field, every row checked; then import."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    meta = request.session.get(f"import:{token}")
    path = _upload_path(project.pk, token)
    if meta is None or path is None:
        messages.error(request, "That upload has expired: upload the file again.")
        return redirect(reverse("project-import", args=[slug]))
    survey = survey_get_in_project(project=project, public_id=meta["survey"])
    data = path.read_bytes()
    name = "upload" + meta["suffix"]
    try:
        table = list(read_table(data, name))
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect(reverse("project-import", args=[slug]))
    header = table[0] if table else []
    source = request.POST if request.method == "POST" else request.GET
    mapping = {field: source[f"map_{field}"] for field in ALIASES if source.get(f"map_{field}")}
    context: dict[str, Any] = {
        "membership": membership,
        "project": project,
        "survey": survey,
        "file_name": meta["name"],
        "header": header,
        "fields": list(ALIASES),
        "preview": table[1 : 1 + PREVIEW_ROWS],
    }
    try:
        auto, _ = detected(header) if header else ({}, [])
        chosen, properties = detected(header, mapping) if header else ({}, [])
        checked = plan(survey=survey, table=iter(table), mapping=mapping)
    except ApplicationError as exc:
        context |= {
            "error": exc.detail,
            "chosen": {**auto, **mapping},
            "properties": [],
            "checked": None,
        }
        return render(request, "dashboard/import_check.html", context, status=400)
    context |= {"chosen": chosen, "properties": properties, "checked": checked, "error": ""}
    if request.method == "POST" and request.POST.get("action") in ("import", "valid_only"):
        if checked.problems and request.POST["action"] != "valid_only":
            context["error"] = (
                "Some rows have problems: fix the file, or import the valid rows only."
            )
            return render(request, "dashboard/import_check.html", context, status=400)
        try:
            imported, already = import_rows(survey=survey, rows=checked.rows)
        except ApplicationError as exc:  # what it links to changed meanwhile: nothing stored
            context["error"] = exc.detail
            return render(request, "dashboard/import_check.html", context, status=exc.status)
        path.unlink(missing_ok=True)
        request.session.pop(f"import:{token}", None)
        messages.success(
            request,
            f"Imported {imported} responses into {survey.name}"
            + (f"; {already} were already there" if already else "")
            + (
                f"; skipped {checked.total - len(checked.rows)} rows with problems"
                if checked.total != len(checked.rows)
                else ""
            )
            + ".",
        )
        return redirect(
            reverse("project-responses", args=[slug]) + f"?survey={survey.public_id}&period=all"
        )
    return render(request, "dashboard/import_check.html", context)
