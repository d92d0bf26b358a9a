"""E-mail and link surveys on the dashboard: send a survey to a list of people (pasted or a
CSV file), follow the invitations, run autopilot, and copy each survey's public link."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from promoter.access import (
    autopilot_get_in_project,
    membership_get_for_user,
    person_find_in_project,
    survey_get_in_project,
)
from promoter.accounts.models import Membership, Role
from promoter.channels import people_csv, services
from promoter.channels.models import InvitationSource
from promoter.channels.selectors import (
    autopilot_members_count,
    autopilots_by_survey,
    invitations_latest,
)
from promoter.core.errors import ApplicationError
from promoter.people.services import Identity
from promoter.surveys.selectors import surveys_for_project

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@login_required
@require_GET
def email_surveys(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    return _render(request, membership)


def _render(
    request: HttpRequest,
    membership: Membership,
    *,
    sent: dict[str, str] | None = None,
    send_error: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render the page; ``sent`` refills the send form (what was pasted stays when it was
    refused), ``send_error`` says why it was."""
    project = membership.project
    surveys = surveys_for_project(project=project)
    autopilots = autopilots_by_survey(project=project)
    members = {
        survey_pk: autopilot_members_count(autopilot=autopilot)
        for survey_pk, autopilot in autopilots.items()
    }
    invitations = invitations_latest(project=project)
    rows = [
        {
            "survey": s,
            "autopilot": autopilots.get(s.pk),
            "members": members.get(s.pk, 0),
            "link": request.build_absolute_uri(reverse("link-survey", args=[s.public_id])),
        }
        for s in surveys
    ]
    context = {
        "membership": membership,
        "project": project,
        "rows": rows,
        "surveys": surveys,
        "invitations": invitations,
        "can_send": membership.has_role(Role.MEMBER),
        "can_manage": membership.has_role(Role.ADMIN),
        "sent": sent or {},
        "send_error": send_error,
    }
    return render(request, "dashboard/email.html", context, status=status)


def _page(slug: str) -> HttpResponse:
    return redirect(reverse("project-email", args=[slug]))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@login_required
@require_POST
def invitations_send(request: HttpRequest, slug: str) -> HttpResponse:
    """Schedule the survey for the pasted people or the uploaded CSV, now or in N days; a
    refused list is shown again with the reason, as it was pasted."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.MEMBER)
    project = membership.project
    survey = survey_get_in_project(project=project, public_id=request.POST.get("survey", ""))
    sent = {
        "survey": str(survey.public_id),
        "people": request.POST.get("people", ""),
        "delay_days": request.POST.get("delay_days", "0"),
    }
    upload = request.FILES.get("file")
    try:
        try:
            days = int(sent["delay_days"] or 0)
        except ValueError:
            raise ApplicationError(
                code="invalid",
                detail="The delay must be a whole number of days.",
                fields={"delay_days": "a whole number"},
            ) from None
        if not 0 <= days <= 365:
            raise ApplicationError(
                code="invalid", detail="Send within a year.", fields={"delay_days": "0-365"}
            )
        if upload is not None:
            if upload.size and upload.size > MAX_UPLOAD_BYTES:
                raise ApplicationError(
                    code="invalid", detail="The file is over 5 MB.", fields={"file": "too big"}
                )
            rows = people_csv.parse(upload.read())
            source = InvitationSource.CSV
        else:
            rows = people_csv.parse(sent["people"])
            source = InvitationSource.DASHBOARD
        send_at = timezone.now() + datetime.timedelta(days=days) if days else None
        done = services.invitations_schedule_many(
            project=project, survey=survey, rows=rows, source=source, send_at=send_at
        )
    except ApplicationError as exc:
        return _render(request, membership, sent=sent, send_error=exc.detail, status=400)
    when = "now" if not send_at else f"on {send_at:%Y-%m-%d}"
    scheduled = _plural(len(done.invitations), "invitation", "invitations")
    message = f"Scheduled {scheduled} to {survey.name}, sent {when}."
    if done.skipped_total:
        why = ", ".join(
            f"{n} {label}" for label, n in sorted(done.skipped.items(), key=lambda i: -i[1])
        )
        message += f" Skipped {_plural(done.skipped_total, 'person', 'people')}: {why}."
    if send_at:
        message += " Each is checked again when it goes: who unsubscribed or was surveyed"
        message += " meanwhile is skipped then (see the list)."
    messages.success(request, message)
    return _page(slug)


@login_required
@require_POST
def autopilot_configure(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    survey = survey_get_in_project(project=membership.project, public_id=survey_id)
    try:
        interval = int(request.POST.get("interval_days") or 0)
        services.autopilot_configure(
            survey=survey, interval_days=interval, is_active=request.POST.get("active") == "on"
        )
    except ValueError:
        messages.error(request, "Re-survey every how many days? Give a whole number.")
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Autopilot of {survey.name} saved.")
    return _page(slug)


@login_required
@require_POST
def autopilot_members(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    """Add the pasted people to a survey's autopilot, or remove them (``action=remove``)."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    survey = survey_get_in_project(project=project, public_id=survey_id)
    autopilot = autopilot_get_in_project(project=project, survey=survey)
    if autopilot is None:
        messages.error(request, "Turn autopilot on for this survey first.")
        return _page(slug)
    try:
        rows = people_csv.parse(request.POST.get("people", ""))
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return _page(slug)
    if request.POST.get("action") == "remove":
        removed = 0
        for row in rows:
            person = person_find_in_project(project=project, ref=f"email:{row.email}")
            if person is not None:
                removed += services.autopilot_member_remove(autopilot=autopilot, end_user=person)
        messages.success(request, f"Removed {removed} people from autopilot.")
        return _page(slug)
    for row in rows:
        services.autopilot_member_add(
            autopilot=autopilot,
            identity=Identity(email=row.email, external_id=row.external_id or None, name=row.name),
            properties=row.properties,
        )
    total = autopilot_members_count(autopilot=autopilot)
    messages.success(request, f"Autopilot now has {total} people; new ones are surveyed soon.")
    return _page(slug)
