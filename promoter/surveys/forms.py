"""The survey settings form: eligibility rules, texts, look."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms

from promoter.surveys.eligibility import OPERATORS, Condition
from promoter.surveys.models import Survey
from promoter.surveys.texts import built_in_texts

CHANNEL_CHOICES = [
    ("web", "Web (the widget)"),
    ("ios", "iOS app"),
    ("android", "Android app"),
    ("email", "E-mail"),
    ("link", "Link"),
]
POSITION_CHOICES = [
    ("bottom-right", "Bottom right"),
    ("bottom-left", "Bottom left"),
    ("bottom-center", "Bottom centre"),
]
TEXT_FIELDS = (
    ("question", "Question"),
    ("followup_promoter", "Follow-up question for promoters"),
    ("followup_passive", "Follow-up question for passives"),
    ("followup_detractor", "Follow-up question for detractors"),
    ("thank_you", "Thank-you text"),
    ("cta_text", "Call-to-action text (shown to promoters)"),
)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LIST_OPS = ("in", "not_in")
_BARE_OPS = ("exists", "missing")


def _value(text: str) -> Any:
    """Return ``text`` as a number when it is one, else as a string."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text.strip("\"'")


def parse_targeting(text: str) -> list[dict[str, Any]]:
    """Parse one condition per line (``plan in pro, enterprise``) into stored conditions.

    Raises ValidationError naming the line that does not parse.
    """
    conditions: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1] not in OPERATORS:
            raise forms.ValidationError(
                f"Line {number} ({line!r}): write `property operator value`, with an operator "
                f"among {', '.join(OPERATORS)}."
            )
        name, op = parts[0], parts[1]
        if op in _BARE_OPS:
            if len(parts) > 2:
                raise forms.ValidationError(f"Line {number}: `{op}` takes no value.")
            value: Any = None
        elif len(parts) < 3:
            raise forms.ValidationError(f"Line {number} ({line!r}): `{op}` needs a value.")
        elif op in _LIST_OPS:
            value = [_value(item) for item in parts[2].split(",") if item.strip()]
        else:
            value = _value(parts[2])
        condition = {"property": name, "op": op, "value": value}
        try:
            Condition.from_dict(condition)
        except ValueError as exc:
            raise forms.ValidationError(f"Line {number}: {exc}") from None
        conditions.append(condition)
    return conditions


def render_targeting(conditions: list[dict[str, Any]]) -> str:
    """Return stored conditions as the lines :func:`parse_targeting` reads."""
    lines = []
    for condition in conditions or []:
        op, value = condition.get("op", "eq"), condition.get("value")
        if op in _BARE_OPS:
            lines.append(f"{condition.get('property')} {op}")
        elif isinstance(value, list):
            lines.append(f"{condition.get('property')} {op} {', '.join(map(str, value))}")
        else:
            shown = json.dumps(value) if isinstance(value, bool) or value is None else value
            lines.append(f"{condition.get('property')} {op} {shown}")
    return "\n".join(lines)


class SurveySettingsForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Where this survey may be shown.",
    )
    targeting_text = forms.CharField(
        label="Targeting",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One condition per line on the person's properties, all must hold: "
        "<code>plan in pro, enterprise</code>, <code>mrr_amount gte 100</code>, "
        "<code>country exists</code>. Operators: " + ", ".join(OPERATORS) + ". "
        "Empty: everyone.",
    )
    primary_color = forms.CharField(required=False, max_length=7, help_text="#rrggbb")
    text_color = forms.CharField(required=False, max_length=7, help_text="#rrggbb")
    background_color = forms.CharField(required=False, max_length=7, help_text="#rrggbb")
    position = forms.ChoiceField(choices=POSITION_CHOICES, required=False)
    cta_url = forms.URLField(
        label="Call-to-action link for promoters",
        required=False,
        assume_scheme="https",
        help_text="E.g. your review page. Empty: no call-to-action.",
    )

    class Meta:
        model = Survey
        fields = [
            "name",
            "is_active",
            "trigger_event",
            "delay_seconds",
            "first_survey_after_days",
            "resurvey_after_days",
            "after_decline_days",
            "sampling_percent",
            "anonymous_sampling_percent",
            "daily_cap",
            "cta_url",
        ]
        labels = {
            "is_active": "Active",
            "trigger_event": "Trigger event",
            "delay_seconds": "Delay on the page (seconds)",
            "first_survey_after_days": "First survey after sign-up (days)",
            "resurvey_after_days": "Resurvey after a response (days)",
            "after_decline_days": "Ask again after a dismissal (days)",
            "sampling_percent": "Sampling (% of eligible people)",
            "anonymous_sampling_percent": "Sampling of anonymous visitors (%)",
            "daily_cap": "Daily cap on responses",
        }
        help_texts = {
            "trigger_event": "Empty: shown on page load. Else shown only after "
            '<code>Promoter.track("this_name")</code>.',
            "delay_seconds": "Wait this long on the page before showing the survey. Default 0.",
            "first_survey_after_days": "0 surveys people right after they sign up (needs "
            "<code>signed_up_at</code> when above 0). Default 0.",
            "resurvey_after_days": "Default 90.",
            "after_decline_days": "Default 30.",
            "sampling_percent": "Drawn once per person and resurvey period, so a reload does "
            "not re-roll. Default 100.",
            "anonymous_sampling_percent": "For visitors with neither id nor e-mail. Default 100.",
            "daily_cap": "Empty: no cap. Counted per day in the project's timezone.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey: Survey = self.instance
        defaults = built_in_texts(survey.kind, "en")
        english = (survey.texts or {}).get("en") or {}
        for key, label in TEXT_FIELDS:
            self.fields[f"text_{key}"] = forms.CharField(
                label=label,
                required=False,
                max_length=500,
                help_text=f"Default: {defaults[key]}",
                widget=forms.TextInput(attrs={"placeholder": defaults[key]}),
            )
            if english.get(key) and english.get(key) != defaults[key]:
                self.initial[f"text_{key}"] = english[key]
        for name in ("sampling_percent", "anonymous_sampling_percent"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 100})
        self.initial.setdefault("channels", list(survey.channels or []))
        self.initial.setdefault("targeting_text", render_targeting(survey.targeting or []))
        look = survey.look or {}
        for name in ("primary_color", "text_color", "background_color", "position"):
            self.initial.setdefault(name, look.get(name, ""))

    def clean_targeting_text(self) -> list[dict[str, Any]]:
        return parse_targeting(self.cleaned_data.get("targeting_text") or "")

    def _color(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value and not _COLOR.match(value):
            raise forms.ValidationError("Write a colour as #rrggbb, e.g. #4338ca.")
        return value

    def clean_primary_color(self) -> str:
        return self._color("primary_color")

    def clean_text_color(self) -> str:
        return self._color("text_color")

    def clean_background_color(self) -> str:
        return self._color("background_color")

    def clean_sampling_percent(self) -> int:
        value: int = self.cleaned_data["sampling_percent"]
        if value > 100:
            raise forms.ValidationError("At most 100.")
        return value

    def clean_anonymous_sampling_percent(self) -> int:
        value: int = self.cleaned_data["anonymous_sampling_percent"]
        if value > 100:
            raise forms.ValidationError("At most 100.")
        return value

    def changes(self) -> dict[str, Any]:
        """Return the survey fields to save, from the cleaned data."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["trigger_event"] = (data["trigger_event"] or "").strip()
        data["channels"] = list(self.cleaned_data["channels"])
        data["targeting"] = self.cleaned_data["targeting_text"]
        look = {
            name: self.cleaned_data[name]
            for name in ("primary_color", "text_color", "background_color", "position")
            if self.cleaned_data.get(name)
        }
        data["look"] = look
        texts = dict(self.instance.texts or {})
        english = dict(texts.get("en") or {})
        for key, _label in TEXT_FIELDS:
            value = (self.cleaned_data.get(f"text_{key}") or "").strip()
            if value:
                english[key] = value
            else:
                english.pop(key, None)  # back to the built-in text
        texts["en"] = english
        data["texts"] = texts
        return data
