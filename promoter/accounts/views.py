from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from promoter.accounts.forms import FirstRunForm, SignupForm
from promoter.accounts.selectors import user_by_email, users_exist
from promoter.accounts.services import invitation_accept, invitation_from_token, user_create
from promoter.actions.projects import project_create
from promoter.core.errors import ApplicationError


def _apply_error(form: object, exc: ApplicationError) -> None:
    fields = getattr(form, "fields", {})
    for field in exc.fields:
        if field in fields:
            form.add_error(field, exc.detail)  # type: ignore[attr-defined]
            return
    form.add_error(None, exc.detail)  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def first_run(request: HttpRequest) -> HttpResponse:
    """Create the first user and their project; exists only while there is no user at all."""
    if users_exist():
        raise Http404("Promoter is already set up")
    form = FirstRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = user_create(
                    email=data["email"], password=data["password"], name=data["name"], is_staff=True
                )
                project = project_create(owner=user, name=data["project"])
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("project-overview", slug=project.slug)
    return render(request, "accounts/first_run.html", {"form": form})


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Join a project from an invitation link, signing up first when needed.

    Only the account with the invited address may accept, unless the invitation is for anyone
    with the link; another logged-in account gets a page that says so and offers to log out.
    """
    try:
        invitation = invitation_from_token(token=token)
    except ApplicationError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"detail": exc.detail}, status=404
        )
    user = request.user if request.user.is_authenticated else None
    if user is not None and not invitation.may_be_accepted_by(user):
        return render(
            request,
            "accounts/invitation_wrong_account.html",
            {"invitation": invitation, "user": user},
            status=403,
        )
    existing = user_by_email(email=invitation.email)
    if user is None and existing is not None:
        messages.info(request, "Log in to accept the invitation.")
        return redirect(f"{reverse('login')}?next={request.path}")
    form = SignupForm(request.POST or None) if user is None else None
    if request.method == "POST":
        try:
            with transaction.atomic():
                if user is None:
                    assert form is not None
                    if not form.is_valid():
                        raise ApplicationError(code="invalid", detail="Check the form.")
                    user = user_create(
                        email=invitation.email,
                        password=form.cleaned_data["password"],
                        name=form.cleaned_data["name"],
                    )
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                invitation_accept(invitation=invitation, user=user)
        except ApplicationError as exc:
            if form is not None and exc.fields:
                _apply_error(form, exc)
            elif exc.code != "invalid":
                messages.error(request, exc.detail)
        else:
            messages.success(request, f"You joined {invitation.project.name}.")
            return redirect("project-overview", slug=invitation.project.slug)
    return render(
        request, "accounts/invitation.html", {"invitation": invitation, "form": form, "user": user}
    )
