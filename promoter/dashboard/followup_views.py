"""Closing the loop: a response's page (history, reply by e-mail, notes, assignment, status)
and the Follow-up inbox of open detractors and unanswered comments.

Members and above act; viewers read. The person's text and every teammate's text render
escaped (Django templates); replies are sent by :mod:`promoter.responses.triage`.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from promoter.access import (
    NotFound,
    member_user_in_project,
    membership_get_for_user,
    response_get_in_project,
)
from promoter.accounts.models import Role, User
from promoter.accounts.selectors import users_for_project
from promoter.actions.erasure import person_erase as erase
from promoter.core.errors import ApplicationError
from promoter.responses import triage
from promoter.responses.models import Response, Status
from promoter.responses.selectors import response_for_page

INBOX_PAGE = 50


def _user(request: HttpRequest) -> User:
    """Return the signed-in teammate (every view here requires a login)."""
    return cast(User, request.user)


def _response_page(request: HttpRequest, slug: str, response_id: str, **extra: Any) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    response = response_for_page(
        response=response_get_in_project(project=project, public_id=response_id)
    )
    can_act = membership.has_role(Role.MEMBER)
    subject, body = triage.reply_template(response=response, author=_user(request))
    notes = {str(n.public_id): n for n in response.notes.select_related("author")}
    replies = {str(r.public_id): r for r in response.replies.select_related("author")}
    members = users_for_project(project=project)
    # A teammate is named the one way the page names them everywhere (User.__str__: their
    # name, else their address); an assignment recorded their address, which may be gone.
    by_email = {member.email.lower(): member for member in members}
    timeline = []
    for activity in triage.history(response=response):
        item: dict[str, Any] = {"activity": activity}
        if activity.kind == "note":
            item["note"] = notes.get(activity.detail.get("note", ""))
        elif activity.kind == "reply":
            item["reply"] = replies.get(activity.detail.get("reply", ""))
        elif activity.kind == "assigned":
            to = str(activity.detail.get("to", ""))
            item["assignee"] = by_email.get(to.lower(), to)
        timeline.append(item)
    context = {
        "membership": membership,
        "project": project,
        "r": response,
        "can_act": can_act,
        "members": members,
        "timeline": timeline,
        "reply_subject": extra.pop("reply_subject", subject),
        "reply_body": extra.pop("reply_body", body),
        "note_body": extra.pop("note_body", ""),
        "can_reply": bool(response.end_user and response.end_user.email),
        **extra,
    }
    return render(request, "dashboard/response.html", context, status=extra.get("status", 200))


@login_required
@require_GET
def response_detail(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    return _response_page(request, slug, response_id)


def _acting(request: HttpRequest, slug: str, response_id: str) -> tuple[Any, Response]:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.MEMBER)
    return membership, response_get_in_project(project=membership.project, public_id=response_id)


def _back(slug: str, response: Response) -> HttpResponse:
    return redirect(reverse("project-response", args=[slug, response.public_id]))


@login_required
@require_POST
def response_reply(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    _membership, response = _acting(request, slug, response_id)
    subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
    try:
        reply = triage.reply_send(
            response=response, author=_user(request), subject=subject, body=body
        )
    except ApplicationError as exc:
        return _response_page(
            request, slug, response_id, reply_error=exc.detail, reply_subject=subject,
            reply_body=body, status=400,
        )  # fmt: skip
    if reply.status == "sent":
        messages.success(request, f"Reply sent to {reply.to_email}.")
    else:
        messages.error(request, f"The reply could not be sent: {reply.error}")
    return _back(slug, response)


@login_required
@require_POST
def response_note(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    _membership, response = _acting(request, slug, response_id)
    body = request.POST.get("body", "")
    try:
        note = triage.note_add(response=response, author=_user(request), body=body)
    except ApplicationError as exc:
        return _response_page(
            request, slug, response_id, note_error=exc.detail, note_body=body, status=400
        )
    told = len(note.mentions)
    messages.success(request, "Note added" + (f"; {told} teammate(s) told." if told else "."))
    return _back(slug, response)


@login_required
@require_POST
def response_assign(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    membership, response = _acting(request, slug, response_id)
    chosen = request.POST.get("assignee", "")
    assignee = None
    if chosen:
        try:
            assignee = member_user_in_project(project=membership.project, user_public_id=chosen)
        except NotFound:
            messages.error(request, "Assign to a member of this project.")
            return _back(slug, response)
    triage.response_assign(response=response, assignee=assignee, actor=_user(request))
    messages.success(
        request, f"Assigned to {assignee.get_full_name() or assignee.email}." if assignee
        else "Unassigned.",
    )  # fmt: skip
    return _after(request, slug, response)


@login_required
@require_POST
def response_status(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    _membership, response = _acting(request, slug, response_id)
    try:
        triage.response_set_status(
            response=response, status=request.POST.get("status", ""), actor=_user(request)
        )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Closed." if response.status == Status.CLOSED else "Reopened.")
    return _after(request, slug, response)


def _after(request: HttpRequest, slug: str, response: Response) -> HttpResponse:
    if request.POST.get("next") == "inbox":
        return redirect(reverse("project-followup", args=[slug]))
    return _back(slug, response)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_GET
def followup(request: HttpRequest, slug: str) -> HttpResponse:
    """The Follow-up inbox: open detractors and comments nobody answered, oldest first."""
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    qs = triage.followup_queryset(project=project).select_related("survey", "end_user", "assignee")
    who = request.GET.get("assignee", "")
    if who == "me":
        qs = qs.filter(assignee=_user(request))
    elif who == "none":
        qs = qs.filter(assignee__isnull=True)
    elif who and _is_uuid(who):
        qs = qs.filter(assignee__public_id=who)
    page = Paginator(qs, INBOX_PAGE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "project": project,
        "page": page,
        "cards": list(page.object_list),
        "counts": triage.followup_counts(project=project),
        "who": who,
        "members": users_for_project(project=project),
        "can_act": membership.has_role(Role.MEMBER),
    }
    return render(request, "dashboard/followup.html", context)


@login_required
@require_POST
def person_erase(request: HttpRequest, slug: str, response_id: str) -> HttpResponse:
    """Erase the person who gave this response, with everything about them (admins)."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    response = response_get_in_project(project=membership.project, public_id=response_id)
    person = response.end_user
    if person is None:
        messages.error(request, "This response is anonymous: delete it from an export instead.")
        return _back(slug, response)
    counts = erase(person=person, by=f"user {_user(request).public_id}")
    messages.success(
        request,
        f"Erased the person and their {counts.get('responses.Response', 0)} response(s).",
    )
    return redirect(reverse("project-responses", args=[slug]))
