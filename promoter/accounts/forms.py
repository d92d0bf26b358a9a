from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from promoter.accounts.models import Project, Role


class FirstRunForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(label="E-mail")
    password = forms.CharField(widget=forms.PasswordInput, min_length=10, label="Password")
    project = forms.CharField(max_length=100, label="Product name", initial="My product")


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, min_length=10, label="Password")


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    anyone_with_link = forms.BooleanField(
        required=False,
        label="Anyone with the link may accept",
        help_text=(
            "Off, only an account with this e-mail address can join. On, whoever opens the"
            " link first joins, with any account: use it for a shared inbox."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=100)


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProjectSettingsForm(forms.ModelForm[Project]):
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One origin a line, e.g. https://app.example.com: the widget answers only these.",
    )
    timezone = forms.ChoiceField(choices=_timezone_choices)
    smtp_url = forms.CharField(
        required=False,
        label="Mail server",
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=(
            "Send this project's surveys and replies through your own server:"
            " smtp://user:password@host:25, smtp+tls://…:587 or smtps://…:465. Blank keeps"
            " the one saved (never shown again); write 'none' to go back to the installation's."
        ),
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "timezone",
            "allowed_origins",
            "require_identity_verification",
            "fatigue_days",
            "email_from",
            "smtp_url",
        ]
        labels = {"fatigue_days": "Survey-fatigue guard (days)", "email_from": "Mail sender"}
        help_texts = {
            "fatigue_days": "Never survey one person more often than this, across all surveys.",
            "require_identity_verification": (
                "Widget calls must carry user_hash = HMAC-SHA256(secret, user id)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["allowed_origins"] = "\n".join(self.instance.allowed_origins or [])

    def clean_smtp_url(self) -> str:
        from promoter.accounts.mail import smtp_url_check

        value = self.cleaned_data["smtp_url"].strip()
        if not value:
            return self.instance.smtp_url if self.instance else ""
        if value.lower() == "none":
            return ""
        try:
            return smtp_url_check(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_email_from(self) -> str:
        from email.utils import parseaddr

        from django.core.validators import validate_email

        value = str(self.cleaned_data["email_from"]).strip()
        if value:
            try:
                validate_email(parseaddr(value)[1])
            except forms.ValidationError:
                raise forms.ValidationError(
                    "Write an address, or a name and an address: Acme <support@acme.com>."
                ) from None
        return value

    def clean_allowed_origins(self) -> list[str]:
        from urllib.parse import urlsplit

        origins = []
        for line in self.cleaned_data["allowed_origins"].splitlines():
            line = line.strip().rstrip("/")
            if not line:
                continue
            parts = urlsplit(line)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise forms.ValidationError(
                    f"{line!r} is not an origin: write scheme://host[:port], e.g. https://app.example.com"
                )
            origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
        return origins


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing an account or client address locked out by failed logins
    (``accounts/login_throttle.py``) before it even checks the password."""

    def clean(self) -> dict[str, Any]:
        from promoter.accounts.login_throttle import (
            login_failure_record,
            login_lockout_remaining,
            login_success_record,
        )
        from promoter.core.clients import client_address

        email = str(self.cleaned_data.get("username") or "")
        address = client_address(self.request) if self.request is not None else "unknown"
        remaining = login_lockout_remaining(email=email, address=address)
        if remaining:
            minutes = max(1, -(-remaining // 60))
            raise ValidationError(
                "Too many failed log-ins for this account or from this network. Log-in is"
                f" locked for {minutes} more minute{'s' if minutes != 1 else ''}; you can"
                " reset your password meanwhile.",
                code="locked_out",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_record(email=email, address=address)
            raise
        login_success_record(email=email)
        return cleaned
