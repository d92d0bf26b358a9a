"""The survey settings form: eligibility rules, texts, look."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.html import format_html

from promoter.surveys.button import (
    BUTTON_DEFAULTS,
    LABEL_MAX,
    PER_DAY_MAX,
    ButtonError,
    button_clean,
    button_of,
)
from promoter.surveys.eligibility import OPERATORS, Condition
from promoter.surveys.look import (
    FONTS,
    LOGO_MAX,
    LOOK_DEFAULTS,
    LOOK_FIELDS,
    RADIUS_MAX,
    LookError,
    look_clean,
    look_contrast_problem,
    look_resolve,
)
from promoter.surveys.models import Survey
from promoter.surveys.pages import LISTS, PageRule, Pages, pages_from, parse_lines, render_line
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
_LIST_OPS = ("in", "not_in")
_BARE_OPS = ("exists", "missing")


_ORDER_OPS = ("gt", "gte", "lt", "lte")
_LITERALS: dict[str, Any] = {"true": True, "false": False}


_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


def _scalar(token: str) -> Any:
    """Return an unquoted ``token`` as a number or boolean when it reads as one, else as text."""
    if token in _LITERALS:
        return _LITERALS[token]
    if _INT.match(token):
        return int(token)
    if _FLOAT.match(token):
        return float(token)
    return token


def _tokens(text: str, *, many: bool) -> list[Any]:
    """Split ``text`` into values: comma-separated when ``many``. A value in double quotes is
    taken as text as is (``"100"``, ``"a, b"``, ``"true"``)."""
    values: list[Any] = []
    rest = text.strip()
    while True:
        value: Any
        if rest.startswith('"'):
            value, rest = _quoted(rest)
            if rest and not (many and rest.startswith(",")):
                raise ValueError("write a comma between values" if many else "one value only")
        else:
            cut = rest.find(",") if many else -1
            token = (rest if cut < 0 else rest[:cut]).strip()
            rest = "" if cut < 0 else rest[cut:]
            value = _scalar(token) if token else None
        if value is not None:
            values.append(value)
        if not rest:
            return values
        rest = rest[1:].strip()  # past the comma


def _quoted(text: str) -> tuple[str, str]:
    """Return the value of the quoted ``text`` starts with (``""`` is one quote) and the rest."""
    chars: list[str] = []
    index = 1
    while index < len(text):
        if text[index] == '"':
            if text[index + 1 : index + 2] != '"':
                return "".join(chars), text[index + 1 :].strip()
            index += 1
        chars.append(text[index])
        index += 1
    raise ValueError("a quoted value has no closing quote")


def _orderable(value: Any) -> bool:
    """Return whether ``gt``/``lt`` can compare ``value``: a number or an ISO date."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def parse_targeting(text: str) -> list[dict[str, Any]]:
    """Parse one condition per line (``plan in pro, enterprise``) into stored conditions.

    Unquoted numbers become numbers and ``true``/``false`` booleans; ``"…"`` keeps text as is.
    Blank lines and lines starting with ``#`` are skipped. Raises ValidationError naming the
    first line that does not parse.
    """
    conditions: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"Line {number} ({line!r})"
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1] not in OPERATORS:
            raise forms.ValidationError(
                f"{where}: write `property operator value`, with an operator among "
                f"{', '.join(OPERATORS)}."
            )
        name, op = parts[0], parts[1]
        value: Any = None
        if op in _BARE_OPS:
            if len(parts) > 2:
                raise forms.ValidationError(f"{where}: `{op}` takes no value.")
        else:
            try:
                values = _tokens(parts[2] if len(parts) > 2 else "", many=op in _LIST_OPS)
            except ValueError as exc:
                raise forms.ValidationError(f"{where}: {exc}.") from None
            if not values:
                raise forms.ValidationError(f"{where}: `{op}` needs a value.")
            value = values if op in _LIST_OPS else values[0]
            if op in _ORDER_OPS and not _orderable(value):
                raise forms.ValidationError(
                    f"{where}: `{op}` compares numbers or dates (2024-01-31)."
                )
        condition = {"property": name, "op": op, "value": value}
        try:
            Condition.from_dict(condition)
        except ValueError as exc:
            raise forms.ValidationError(f"{where}: {exc}.") from None
        conditions.append(condition)
    return conditions


def _show(value: Any, *, many: bool) -> str:
    """Return ``value`` as :func:`_tokens` reads it back: quoted when it would read otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = "" if value is None else str(value)
    plain = (
        text
        and text == text.strip()
        and not text.startswith('"')
        and not (many and "," in text)
        and _scalar(text) == text
    )
    return text if plain else '"' + text.replace('"', '""') + '"'


def render_targeting(conditions: list[dict[str, Any]]) -> str:
    """Return stored conditions as the lines :func:`parse_targeting` reads back unchanged."""
    lines = []
    for condition in conditions or []:
        name, op, value = (
            condition.get("property"),
            condition.get("op", "eq"),
            condition.get("value"),
        )
        if op in _BARE_OPS:
            lines.append(f"{name} {op}")
        elif isinstance(value, list | tuple):
            lines.append(f"{name} {op} " + ", ".join(_show(v, many=True) for v in value))
        else:
            lines.append(f"{name} {op} {_show(value, many=op in _LIST_OPS)}")
    return "\n".join(lines)


def _color_field(label: str, name: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=7,
        help_text=f"#rrggbb. Empty: the project's look, else {LOOK_DEFAULTS[name]}.",
        widget=forms.TextInput(attrs={"placeholder": LOOK_DEFAULTS[name], "size": 8}),
    )


def _look_choice(
    label: str, name: str, choices: Sequence[tuple[str, str]], help_text: str
) -> forms.ChoiceField:
    default = dict(choices).get(LOOK_DEFAULTS[name], LOOK_DEFAULTS[name])
    return forms.ChoiceField(
        label=label,
        choices=[("", f"The project's (else {default.lower()})"), *choices],
        required=False,
        help_text=help_text,
    )


BUTTON_FIELDS = tuple(f"button_{k}" for k in ("enabled", *BUTTON_DEFAULTS))


class SurveySettingsForm(forms.ModelForm[Survey]):
    """Every setting of one survey. :meth:`changes` gives the fields for ``survey_update``."""

    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Where this survey may be shown. Web, iOS and Android are the in-app widget "
        "and SDKs; e-mail and link surveys are sent from their own pages. Default: all.",
    )
    targeting_text = forms.CharField(
        label="Targeting",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Who may be asked, by the properties your app sends: one condition per line, "
        "all must hold, e.g. <code>plan in pro, enterprise</code>, "
        "<code>mrr_amount gte 100</code>, <code>country exists</code>. Operators: "
        + ", ".join(OPERATORS)
        + ". Numbers and <code>true</code>/<code>false</code> are read as such; put text in "
        'double quotes to keep it as text (<code>zip eq "02139"</code>). Lines starting with '
        "<code>#</code> are ignored. Empty (the default): everyone.",
    )
    pages_include_text = forms.CharField(
        label="Show only on these pages",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One page a line, by the path of its address: <code>/billing</code> (that "
        "page), <code>/projects/*/settings</code> (<code>*</code>: any characters, "
        "<code>/</code> included), <code>contains /docs</code>. A whole address "
        "(<code>https://app.example.com/billing</code>) is read as its path; the query "
        "and the host are not compared, nor a trailing <code>/</code>. Empty (the "
        "default): every page. In-app channels only.",
    )
    pages_exclude_text = forms.CharField(
        label="Never on these pages",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="The same kind of lines; a page listed here is left out even when the list "
        "above names it, e.g. <code>/billing/cancel</code>.",
    )
    primary_color = _color_field("Primary colour", "primary_color")
    text_color = _color_field("Text colour", "text_color")
    background_color = _color_field("Background colour", "background_color")
    dark_primary_color = _color_field("Primary colour, dark theme", "dark_primary_color")
    dark_text_color = _color_field("Text colour, dark theme", "dark_text_color")
    dark_background_color = _color_field("Background colour, dark theme", "dark_background_color")
    position = _look_choice(
        "Position", "position", POSITION_CHOICES, "Where the widget opens on the page."
    )
    font = _look_choice(
        "Font",
        "font",
        [(f, f.replace("-", " ").capitalize()) for f in FONTS],
        "Fonts people already have; nothing is downloaded.",
    )
    radius = forms.CharField(
        label="Corner radius",
        required=False,
        max_length=2,
        help_text=f"Pixels, 0-{RADIUS_MAX}. Empty: the project's, else {LOOK_DEFAULTS['radius']}.",
        widget=forms.TextInput(attrs={"placeholder": LOOK_DEFAULTS["radius"], "size": 3}),
    )
    theme = _look_choice(
        "Theme",
        "theme",
        [("light", "Light"), ("dark", "Dark"), ("auto", "Auto (the person's system setting)")],
        "Auto follows each person's light or dark preference (prefers-color-scheme).",
    )
    logo_url = forms.CharField(
        label="Logo",
        required=False,
        max_length=LOGO_MAX,
        help_text="An https:// address of an image shown above the question. Empty: none.",
    )
    powered_by = _look_choice(
        "Powered by Promoter",
        "powered_by",
        [("on", "Shown"), ("off", "Hidden")],
        "A small line under the survey.",
    )
    button_enabled = forms.BooleanField(
        label="Show a feedback button",
        required=False,
        help_text="An always-visible tab in your app that opens this survey on demand. The "
        "re-survey delay does not apply to it; the daily limit below does. Its answers are "
        "marked with the channel “Feedback button”.",
    )
    button_placement = forms.ChoiceField(
        label="Button placement",
        choices=[("right", "Right edge"), ("left", "Left edge"), ("bottom", "Bottom right")],
        required=False,
        initial=BUTTON_DEFAULTS["placement"],
    )
    button_label = forms.CharField(
        label="Button text",
        required=False,
        max_length=LABEL_MAX,
        initial=BUTTON_DEFAULTS["label"],
    )
    button_per_day = forms.IntegerField(
        label="Answers a person may give through it a day",
        required=False,
        min_value=1,
        max_value=PER_DAY_MAX,
        initial=BUTTON_DEFAULTS["per_day"],
    )
    button_in_score = forms.BooleanField(
        label="Count its answers in the score",
        required=False,
        help_text="Off by default: people who click a feedback button chose to answer, unlike "
        "the people the survey asks, so their answers would bias the score. They always show "
        "in the Feedback stream.",
    )
    cta_url = forms.URLField(
        label="Call-to-action link for promoters",
        required=False,
        assume_scheme="https",
        help_text="Shown to promoters after their answer, e.g. your review or referral page. "
        "Empty (the default): no call-to-action.",
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
            "link_anonymous",
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
            "link_anonymous": "Link answers are anonymous",
        }
        help_texts = {
            "name": "Shown in the dashboard only.",
            "is_active": "Off: nobody is asked; responses already collected stay.",
            "trigger_event": "Empty (the default): shown on page load. Else shown only after "
            '<code>Promoter.track("this_name")</code>.',
            "delay_seconds": "Wait this long on the page before showing the survey. Default 0.",
            "first_survey_after_days": "Days after sign-up before the first survey, so people "
            "try the product first. Above 0 it needs the <code>signed_up_at</code> your app "
            "sends. Default 0: right away.",
            "resurvey_after_days": "Days after a person answers this survey before it may ask "
            "them again. Default 90.",
            "after_decline_days": "Days after a person dismisses this survey before it may ask "
            "them again. Default 30.",
            "sampling_percent": "Ask only this share of the people who pass every other rule. "
            "Drawn once per person and resurvey period, so a reload does not re-roll. "
            "Default 100.",
            "anonymous_sampling_percent": "The same for visitors with neither id nor e-mail, "
            "who cannot be throttled as reliably. Default 100.",
            "daily_cap": "Stop asking once this many responses came in today (days in the "
            "project's timezone). Empty (the default): no cap.",
            "link_anonymous": "On: answers on the survey's public link are anonymous, whatever "
            "<code>?email=</code> the link carries. Off (the default): a link may name its "
            "person, signed when the project verifies identities.",
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
                help_text=format_html("Empty: the built-in text, “{}”", defaults[key]),
                widget=forms.TextInput(attrs={"placeholder": defaults[key]}),
            )
            if english.get(key) and english.get(key) != defaults[key]:
                self.initial[f"text_{key}"] = english[key]
        for name in ("sampling_percent", "anonymous_sampling_percent"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 100})
        self.initial.setdefault("channels", list(survey.channels or []))
        self.initial.setdefault("targeting_text", render_targeting(survey.targeting or []))
        pages = pages_from(survey.pages)
        for name in LISTS:
            lines = [render_line(rule) for rule in getattr(pages, name)]
            self.initial.setdefault(f"pages_{name}_text", "\n".join(lines))
        look = survey.look or {}
        for name in LOOK_FIELDS:
            self.initial.setdefault(name, look.get(name, ""))
        button = button_of(survey.button)
        self.initial.setdefault("button_enabled", button is not None)
        for key, value in (button or BUTTON_DEFAULTS).items():
            self.initial.setdefault(f"button_{key}", value)

    FIELDSETS = (
        (
            "Survey",
            ("name", "is_active", "channels", "link_anonymous", "trigger_event", "delay_seconds"),
        ),
        (
            "Who is asked, and how often",
            (
                "targeting_text",
                "pages_include_text",
                "pages_exclude_text",
                "first_survey_after_days",
                "resurvey_after_days",
                "after_decline_days",
                "sampling_percent",
                "anonymous_sampling_percent",
                "daily_cap",
            ),
        ),
        ("Texts", (*(f"text_{key}" for key, _label in TEXT_FIELDS), "cta_url")),
        ("Look", LOOK_FIELDS),
        ("Feedback button", BUTTON_FIELDS),
    )

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Return (legend, bound fields) in the order the page shows them."""
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_targeting_text(self) -> list[dict[str, Any]]:
        return parse_targeting(self.cleaned_data.get("targeting_text") or "")

    def _pages(self, name: str) -> tuple[PageRule, ...]:
        try:
            return parse_lines(self.cleaned_data.get(name) or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_pages_include_text(self) -> tuple[PageRule, ...]:
        return self._pages("pages_include_text")

    def clean_pages_exclude_text(self) -> tuple[PageRule, ...]:
        return self._pages("pages_exclude_text")

    def clean(self) -> dict[str, Any]:
        """Check the look: each setting, then the contrast of what the widget would show
        (the project's look under the survey's) against WCAG AA."""
        cleaned = super().clean() or {}
        given = {name: cleaned.get(name) or "" for name in LOOK_FIELDS if name in cleaned}
        try:
            look = look_clean(given)
        except LookError as exc:
            self.add_error(exc.field, exc.message[:1].upper() + exc.message[1:] + ".")
            return cleaned
        problem = look_contrast_problem(look_resolve(self.instance.project.look, look))
        if problem is not None:
            self.add_error(problem.field, problem.message[:1].upper() + problem.message[1:] + ".")
        cleaned.update(look)
        cleaned["button"] = {}
        if cleaned.get("button_enabled"):
            given = {k: cleaned.get(f"button_{k}") for k in BUTTON_DEFAULTS}
            given = {k: v for k, v in given.items() if v not in (None, "")}
            given["in_score"] = bool(cleaned.get("button_in_score"))
            try:
                cleaned["button"] = button_clean(given)
            except ButtonError as exc:
                self.add_error(
                    f"button_{exc.field}", exc.message[:1].upper() + exc.message[1:] + "."
                )
        return cleaned

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
        data["pages"] = Pages(
            include=self.cleaned_data["pages_include_text"],
            exclude=self.cleaned_data["pages_exclude_text"],
        ).as_data()
        look = dict(self.instance.look or {})  # keeps keys this form does not edit
        for name in LOOK_FIELDS:
            if self.cleaned_data.get(name):
                look[name] = self.cleaned_data[name]
            else:
                look.pop(name, None)  # back to the project's look
        data["look"] = look
        data["button"] = self.cleaned_data["button"]
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
