from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from promoter.access import (
    invitation_get_in_project,
    membership_get_for_user,
    membership_get_in_project,
    projects_for_user,
    survey_get_for_user,
)
from promoter.accounts.forms import InviteForm, ProjectCreateForm, ProjectSettingsForm, RoleForm
from promoter.accounts.models import Role
from promoter.accounts.selectors import (
    api_keys_for_project,
    invitations_pending_for_project,
    memberships_for_project,
    users_exist,
)
from promoter.accounts.services import (
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_set_role,
    project_update,
)
from promoter.actions.projects import project_create
from promoter.core.errors import ApplicationError
from promoter.core.ids import user_hash_for
from promoter.core.inputs import text_problem
from promoter.ingest.widget import widget_url
from promoter.people.services import Identity
from promoter.responses.eligibility import (
    active_surveys,
    candidate_surveys,
    decide,
    person_find,
)
from promoter.surveys.forms import SurveySettingsForm
from promoter.surveys.models import IN_APP_CHANNELS, SurveyKind
from promoter.surveys.scales import SCALES
from promoter.surveys.services import survey_create, survey_update


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if not users_exist():
            return redirect("first-run")
        return redirect("login")
    memberships = projects_for_user(user=request.user)
    last = request.session.get("last_project")
    for membership in memberships:
        if membership.project.slug == last:
            return redirect("project-overview", slug=last)
    if len(memberships) >= 1:
        return redirect("project-overview", slug=memberships[0].project.slug)
    return redirect("projects")


@login_required
@require_http_methods(["GET", "POST"])
def projects(request: HttpRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(owner=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        except ApplicationError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, f"Created {project.name}.")
            return redirect("project-overview", slug=project.slug)
    return render(
        request,
        "dashboard/projects.html",
        {"form": form, "memberships": projects_for_user(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    required = Role.ADMIN if request.method == "POST" else Role.VIEWER
    membership = membership_get_for_user(user=request.user, slug=slug, role=required)
    project = membership.project
    form = ProjectSettingsForm(request.POST or None, instance=project)
    can_edit = membership.has_role(Role.ADMIN)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        project_update(project=project, **{f: form.cleaned_data[f] for f in form.Meta.fields})
        messages.success(request, "Settings saved.")
        return redirect("project-settings", slug=project.slug)
    from promoter.dashboard.apikey_views import NEW_KEY

    context = {
        "membership": membership,
        "project": project,
        "form": form,
        "can_edit": can_edit,
        "api_keys": api_keys_for_project(project=project),
        "new_key": request.session.pop(NEW_KEY, None) if can_edit else None,
    }
    return render(request, "dashboard/settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    required = Role.ADMIN if request.method == "POST" else Role.VIEWER
    membership = membership_get_for_user(user=request.user, slug=slug, role=required)
    project = membership.project
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                actor=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                anyone_with_link=form.cleaned_data["anyone_with_link"],
            )
        except ApplicationError as exc:
            form.add_error("role" if "role" in exc.fields else "email", exc.detail)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("project-members", slug=project.slug)
    return render(
        request,
        "dashboard/members.html",
        {
            "membership": membership,
            "project": project,
            "form": form,
            "can_manage": membership.has_role(Role.ADMIN),
            "members": memberships_for_project(project=project),
            "invitations": invitations_pending_for_project(project=project),
            "roles": Role.choices,
        },
    )


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    actor = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    target = membership_get_in_project(project=actor.project, user_public_id=user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
    else:
        try:
            membership_set_role(actor=actor, membership=target, role=form.cleaned_data["role"])
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{target.user} is now {target.get_role_display()}.")
    return redirect("project-members", slug=slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    actor = membership_get_for_user(user=request.user, slug=slug)
    target = membership_get_in_project(project=actor.project, user_public_id=user_id)
    leaving = target.pk == actor.pk
    if not leaving and not actor.has_role(Role.ADMIN):
        membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)  # raises 403
    try:
        membership_remove(actor=actor, membership=target)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect("project-members", slug=slug)
    if leaving:
        messages.success(request, f"You left {actor.project.name}.")
        return redirect("home")
    messages.success(request, f"Removed {target.user}.")
    return redirect("project-members", slug=slug)


@login_required
@require_POST
def pending_invitation_revoke(request: HttpRequest, slug: str, invitation_id: str) -> HttpResponse:
    actor = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    invitation = invitation_get_in_project(project=actor.project, public_id=invitation_id)
    invitation_revoke(invitation=invitation)
    messages.success(request, f"Withdrew the invitation to {invitation.email}.")
    return redirect("project-members", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request: HttpRequest, slug: str) -> HttpResponse:
    required = Role.ADMIN if request.method == "POST" else Role.VIEWER
    membership = membership_get_for_user(user=request.user, slug=slug, role=required)
    project = membership.project
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in SCALES:
            messages.error(request, "Choose NPS, CSAT or CES.")
            return redirect("project-surveys", slug=slug)
        survey = survey_create(project=project, kind=kind)
        messages.success(request, f"Created {survey.name}: review its settings below.")
        return redirect("project-survey", slug=slug, survey_id=str(survey.public_id))
    return render(
        request,
        "dashboard/surveys.html",
        {
            "membership": membership,
            "project": project,
            "surveys": project.surveys.order_by("created_at", "pk"),
            "can_edit": membership.has_role(Role.ADMIN),
            "kinds": SurveyKind.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    required = Role.ADMIN if request.method == "POST" else Role.VIEWER
    survey, membership = survey_get_for_user(
        user=request.user, slug=slug, public_id=survey_id, role=required
    )
    project = membership.project
    form = SurveySettingsForm(request.POST or None, instance=survey)
    can_edit = membership.has_role(Role.ADMIN)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        survey_update(survey=survey, data=form.changes())
        messages.success(request, f"Saved {survey.name}.")
        return redirect("project-survey", slug=slug, survey_id=str(survey.public_id))
    return render(
        request,
        "dashboard/survey_settings.html",
        {
            "membership": membership,
            "project": project,
            "survey": survey,
            "form": form,
            "can_edit": can_edit,
        },
    )


@login_required
@require_GET
def explain(request: HttpRequest, slug: str) -> HttpResponse:
    """Say, rule by rule, whether and why a person would be surveyed now (reads only)."""
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    who = request.GET.get("who", "").strip()[:255]
    if text_problem(who):
        # No id or e-mail holds one, and the database would refuse to look it up.
        messages.error(request, f"Ignored the person {who[:40]!r}: it {text_problem(who)}.")
        who = ""
    channel = request.GET.get("channel", "web")
    if channel not in IN_APP_CHANNELS:
        channel = "web"
    event = request.GET.get("event", "").strip()[:100]
    url = request.GET.get("url", "").strip()[:2000]  # read by the page rules, never stored
    context: dict[str, Any] = {
        "membership": membership,
        "project": project,
        "who": who,
        "channel": channel,
        "event": event,
        "url": url,
        "channels": IN_APP_CHANNELS,
    }
    if who:
        identity = Identity(external_id=who, email=who.lower() if "@" in who else None)
        active = active_surveys(project=project)
        surveys = candidate_surveys(active, event=event)
        person, history = person_find(project=project, text=who)
        if person is not None:
            identity = Identity(
                external_id=person.external_id,
                email=person.email,
                anonymous_id=person.anonymous_id,
            )
        now = timezone.now()
        decision = decide(
            project=project,
            surveys=surveys,
            identity=identity,
            person=person,
            history=history,
            channel=channel,
            now=now,
            url=url,
        )
        context.update(
            {
                "person": person,
                "decision": decision,
                "now": now,
                "next_at": decision.next_eligible_at,
                "verdicts": decision.verdicts,
                # The first eligible survey wins: those after it are not evaluated.
                "not_evaluated": surveys[len(decision.verdicts) :],
                "other_events": [s for s in active if s not in surveys],
            }
        )
    return render(request, "dashboard/explain.html", context)


SNIPPET = (
    "<script>window.Promoter=window.Promoter||{{q:[]}};"
    '["init","identify","show","reset","track"].forEach(function(m){{'
    "Promoter[m]=Promoter[m]||function(){{Promoter.q.push([m,arguments])}}}});\n"
    'Promoter.init({{key: "{key}", user: {{id: "USER_ID", email: "USER_EMAIL", '
    'signed_up_at: "2024-01-31T00:00:00Z", properties: {{plan: "pro"}}}}{hash}}});</script>\n'
    '<script async src="{src}"></script>'
)


@login_required
@require_GET
def install(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    can_see_secret = membership.has_role(Role.ADMIN)
    src = settings.SITE_URL.rstrip("/") + widget_url(versioned=False)
    hash_part = ', user_hash: "USER_HASH"' if project.require_identity_verification else ""
    secret = project.secret if can_see_secret else "YOUR_PROJECT_SECRET"
    return render(
        request,
        "dashboard/install.html",
        {
            "membership": membership,
            "project": project,
            "snippet": SNIPPET.format(key=project.public_key, src=src, hash=hash_part),
            "secret": secret,
            "can_see_secret": can_see_secret,
            "example_hash": user_hash_for(secret=project.secret, identifier="USER_ID")
            if can_see_secret
            else None,
            "api_url": settings.SITE_URL.rstrip("/") + "/i/v1/",
        },
    )
