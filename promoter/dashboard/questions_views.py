"""The survey designer: a survey's additional questions, edited as a draft beside a live
preview, then published or duplicated.

Every change saves the whole draft through :func:`promoter.actions.surveys.survey_questions_save`
(the one road, whose check is :func:`promoter.surveys.questions.questions_clean`): a refused
change writes nothing and answers 400 with the editor showing the error next to the field it
names. Admins and owners change; members and viewers read. Each form works as a plain POST
answered by a redirect; with htmx it answers the editor fragment instead (or, while someone
types, only the status and warnings, so the field being typed in is never replaced).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from promoter.access import survey_get_for_user
from promoter.accounts.models import Membership, Role
from promoter.actions.surveys import survey_duplicate, survey_publish, survey_questions_save
from promoter.core.errors import ApplicationError
from promoter.ingest.widget import questions_url, widget_url
from promoter.surveys.eligibility import OPERATORS
from promoter.surveys.forms import parse_targeting, render_targeting
from promoter.surveys.models import Survey
from promoter.surveys.payload import survey_preview_payload
from promoter.surveys.questions import (
    CHOICE_TYPES,
    CONDITION_KINDS,
    MAX_CHOICES,
    OTHER,
    TYPE_LABELS,
    TYPES,
    QuestionsError,
    QuestionWarning,
    fixed_choices,
    questions_clean,
    questions_warnings,
)
from promoter.surveys.scales import CATEGORIES, SCALES, category_scores
from promoter.surveys.texts import BUILT_IN_LOCALES

PAGE = "dashboard/survey_questions.html"
EDITOR = "dashboard/_questions_editor.html"
TYPING = "dashboard/_questions_typing.html"
PREVIEW = "dashboard/survey_preview.html"
SAVED_EVENT = "questions-saved"  # the preview reloads on it (promoter/static/promoter/designer.js)
CONDITION_LABELS = {
    "category": "Score category",
    "score": "Score range",
    "answer": "Answer to an earlier question",
    "property": "Person property",
}
WIDTHS = {"desktop": "Desktop", "phone": "Phone"}
# What each type starts with: enough to pass the check, so adding a question saves it.
STARTERS: dict[str, dict[str, Any]] = {
    "single_choice": {"text": "Which one fits best?"},
    "multiple_choice": {"text": "Which ones apply?"},
    "text": {"text": "What could we do better?"},
    "rating": {"text": "How would you rate it?", "style": "stars"},
    "yes_no": {"text": "May we contact you about your answer?"},
    "pmf": {"text": ""},  # the check fills in the standard wording
    "message": {"text": "Thank you!"},
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django-htmx's middleware


@dataclass
class Refusal:
    """A change that was not saved: the field it names (``questions.2.text``) and why."""

    field: str
    message: str
    where: str = ""  # the field in words, for the editor's summary


@dataclass
class EditorState:
    survey: Survey
    membership: Membership
    document: list[dict[str, Any]]  # what the editor shows: the draft, or a refused attempt
    refusal: Refusal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- the path of a preview ------------------------------------------------------------------


def representative_score(kind: str, category: str) -> int:
    """Return the score the preview of ``category``'s path assumes: the middle of the
    category's range on ``kind``'s scale (rounded down)."""
    low, high = category_scores(kind)[category]
    return (low + high) // 2


def preview_locales(survey: Survey) -> list[str]:
    """Return the locales a preview offers: the survey's own texts' first, then built-in."""
    own = [code for code, value in (survey.texts or {}).items() if isinstance(value, Mapping)]
    return list(dict.fromkeys([*own, *BUILT_IN_LOCALES]))


def _preview_choice(request: HttpRequest, survey: Survey) -> dict[str, str]:
    path = request.GET.get("path", "")
    locales = preview_locales(survey)
    locale = request.GET.get("locale", "")
    width = request.GET.get("width", "")
    return {
        "path": path if path in CATEGORIES else "promoter",
        "locale": locale if locale in locales else locales[0] if locales else "en",
        "width": width if width in WIDTHS else "desktop",
    }


# --- reading a question's form --------------------------------------------------------------


def _number(value: str | None) -> Any:
    """Return a typed number as an int, blank as None; anything else as typed, so that the
    check refuses it naming its field."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _property_condition(post: QueryDict, prefix: str, field_name: str) -> dict[str, Any]:
    """Read a person-property condition in the targeting language (``plan in pro, team``)."""
    name = post.get(f"{prefix}-property", "").strip()
    op = post.get(f"{prefix}-op", "eq")
    # One line, as the field is: a line break smuggled in would start a second condition.
    value = " ".join(post.get(f"{prefix}-value", "").splitlines()).strip()
    condition: dict[str, Any] = {"kind": "property", "property": name, "op": op, "value": value}
    if not name:
        raise QuestionsError(f"{field_name}.property", "names a property of the person")
    if op not in OPERATORS:
        raise QuestionsError(f"{field_name}.op", f"must be one of {', '.join(OPERATORS)}")
    # The value reads as in the survey's targeting: the same parser, on one line whose
    # property is a stand-in (a name may hold spaces, a targeting line's may not).
    line = f"p {op} {value}".strip()
    try:
        parsed = parse_targeting(line)[0]
    except forms.ValidationError as exc:
        message = exc.messages[0].removeprefix(f"Line 1 ({line!r}): ").rstrip(".")
        raise QuestionsError(f"{field_name}.value", message) from None
    condition.pop("value")
    if parsed.get("value") is not None:
        condition["value"] = parsed["value"]
    return condition


def _conditions(
    post: QueryDict, n: int, earlier: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], QuestionsError | None]:
    """Return question ``n``'s conditions as typed, and the first that does not read."""
    conditions: list[dict[str, Any]] = []
    problem: QuestionsError | None = None
    by_id = {q["id"]: q for q in earlier}
    for i in range(min(_count(post.get("conditions")), 20)):
        prefix, where = f"cond-{i}", f"questions.{n}.show_if.{i}"
        kind = post.get(f"{prefix}-kind", "")
        if kind == "category":
            conditions.append({"kind": kind, "categories": post.getlist(f"{prefix}-categories")})
        elif kind == "score":
            condition: dict[str, Any] = {"kind": kind}
            for bound in ("min", "max"):
                value = _number(post.get(f"{prefix}-{bound}"))
                if value is not None:
                    condition[bound] = value
            conditions.append(condition)
        elif kind == "answer":
            question_id = post.get(f"{prefix}-question", "")
            asked = by_id.get(question_id)
            offered = [c["id"] for c in fixed_choices(asked)] if asked else []
            if asked and asked.get("other"):
                offered.append(OTHER)
            # Choices of a question no longer named fall away: switching the question starts
            # its choices afresh.
            picked = [c for c in post.getlist(f"{prefix}-choices") if c in offered]
            conditions.append({"kind": kind, "question": question_id, "choices": picked})
        elif kind == "property":
            try:
                conditions.append(_property_condition(post, prefix, where))
            except QuestionsError as exc:
                problem = problem or exc
                conditions.append(
                    {
                        "kind": kind,
                        "property": post.get(f"{prefix}-property", ""),
                        "op": post.get(f"{prefix}-op", "eq"),
                        "value_text": post.get(f"{prefix}-value", ""),
                    }
                )
        else:
            problem = problem or QuestionsError(
                f"{where}.kind", f"must be one of {', '.join(CONDITION_KINDS)}"
            )
    return conditions, problem


def _count(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def question_from_post(
    post: QueryDict, *, n: int, current: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], QuestionsError | None]:
    """Return question ``n`` as its form describes it (its id and type stay ``current``'s),
    and the first field that does not read; :func:`questions_clean` checks the rest."""
    kind = current["type"]
    question: dict[str, Any] = {
        "id": current["id"],
        "type": kind,
        "text": post.get("text", ""),
        "required": post.get("required") == "on",
    }
    if kind in ("single_choice", "multiple_choice"):
        ids, texts = post.getlist("choice_id"), post.getlist("choice_text")
        question["choices"] = [{"id": i, "text": t} for i, t in zip(ids, texts, strict=False)][
            : MAX_CHOICES + 1
        ]
        question["other"] = post.get("other") == "on"
        question["shuffle"] = post.get("shuffle") == "on"
    elif kind == "text":
        question["long"] = post.get("long") == "on"
    elif kind == "rating":
        question["style"] = post.get("style", "stars")
        if question["style"] == "numbers":
            for bound in ("min", "max"):
                value = _number(post.get(bound))
                if value is not None:
                    question[bound] = value
    elif kind == "message":
        question["cta_text"] = post.get("cta_text", "")
        question["cta_url"] = post.get("cta_url", "")
    question["show_if"], problem = _conditions(post, n, earlier)
    return question, problem


def _new_id(prefix: str, taken: Sequence[str]) -> str:
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def question_new(kind: str, document: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return a new question of ``kind``, ready to save (see :data:`STARTERS`)."""
    question: dict[str, Any] = {
        "id": _new_id("q", [q["id"] for q in document]),
        "type": kind,
        "required": False,
        **STARTERS[kind],
    }
    if kind in ("single_choice", "multiple_choice"):
        question["choices"] = [{"id": "c1", "text": "Option 1"}, {"id": "c2", "text": "Option 2"}]
    return question


def condition_new(
    kind: str, *, survey_kind: str, earlier: Sequence[Mapping[str, Any]], where: str
) -> dict[str, Any]:
    """Return a new ``kind`` condition: a detractor-only branch for scores and categories,
    the first choice of the last earlier choice question for answers, a blank property."""
    if kind == "category":
        return {"kind": kind, "categories": ["detractor"]}
    if kind == "score":
        low, high = category_scores(survey_kind)["detractor"]
        return {"kind": kind, "min": low, "max": high}
    if kind == "answer":
        asked = [q for q in earlier if q["type"] in CHOICE_TYPES]
        if not asked:
            raise QuestionsError(f"{where}.kind", "needs an earlier choice question to hang on")
        first = fixed_choices(asked[-1])[0]["id"]
        return {"kind": kind, "question": asked[-1]["id"], "choices": [first]}
    if kind == "property":
        return {"kind": kind, "property": "", "op": "eq", "value_text": ""}
    raise QuestionsError(f"{where}.kind", f"must be one of {', '.join(CONDITION_KINDS)}")


# --- the editor's view of the document -----------------------------------------------------


def describe_field(path: str, document: Sequence[Mapping[str, Any]]) -> str:
    """Return a field of the document (``questions.2.show_if.0.choices``) in words."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] != "questions" or not parts[1].isdigit():
        return "The questions"
    n = int(parts[1])
    words = f"Question {n + 1}"
    if n < len(document) and isinstance(document[n], Mapping):
        text = str(document[n].get("text") or "").strip()
        if text:
            words += f" (“{text[:60]}”)"
    rest = parts[2:]
    if rest[:1] == ["show_if"] and len(rest) > 1 and rest[1].isdigit():
        words += f", condition {int(rest[1]) + 1}"
        rest = rest[2:]
    elif rest[:1] == ["choices"] and len(rest) > 1 and rest[1].isdigit():
        words += f", choice {int(rest[1]) + 1}"
        rest = rest[2:]
    if rest:
        words += f", {' '.join(rest).replace('_', ' ')}"
    return words


def _errors_for(refusal: Refusal | None, n: int) -> dict[str, str]:
    """Return the refusal's message keyed by the part of question ``n`` it names."""
    prefix = f"questions.{n}"
    if refusal is None or not (refusal.field == prefix or refusal.field.startswith(prefix + ".")):
        return {}
    rest = refusal.field[len(prefix) + 1 :] or "question"
    return {rest: refusal.message}


def _condition_view(
    condition: Mapping[str, Any],
    *,
    i: int,
    errors: Mapping[str, str],
    choice_questions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "i": i,
        "c": condition,
        "kind": condition.get("kind"),
        "label": CONDITION_LABELS.get(str(condition.get("kind")), "Condition"),
        "error": errors.get(f"show_if.{i}"),  # the condition as a whole
    }
    prefix = f"show_if.{i}."
    view["errors"] = {k.removeprefix(prefix): v for k, v in errors.items() if k.startswith(prefix)}
    if condition.get("kind") == "answer":
        asked = next((q for q in choice_questions if q["id"] == condition.get("question")), None)
        offered = [dict(c) for c in fixed_choices(asked)] if asked else []
        if asked and asked.get("other"):
            offered.append({"id": OTHER, "text": "Other (their own words)"})
        picked = condition.get("choices") or []
        view["choices"] = [{**c, "checked": c["id"] in picked} for c in offered]
    if condition.get("kind") == "property":
        if "value_text" in condition:
            view["value"] = condition["value_text"]
        elif condition.get("op") in ("exists", "missing"):
            view["value"] = ""
        else:
            line = render_targeting([{**condition, "property": "p"}])
            view["value"] = line.split(None, 2)[2] if len(line.split(None, 2)) > 2 else ""
    if condition.get("kind") == "category":
        picked = condition.get("categories") or []
        view["categories"] = [{"id": c, "checked": c in picked} for c in CATEGORIES]
    return view


def questions_view(
    document: Sequence[Any], refusal: Refusal | None, warnings: Sequence[QuestionWarning]
) -> list[dict[str, Any]]:
    """Return what the editor's template shows of each question."""
    out: list[dict[str, Any]] = []
    earlier: list[Mapping[str, Any]] = []
    warned: dict[str, list[str]] = {}
    for warning in warnings:
        warned.setdefault(warning.question, []).append(warning.message)
    for n, question in enumerate(document):
        if not isinstance(question, Mapping):
            continue
        errors = _errors_for(refusal, n)
        choice_questions = [q for q in earlier if q.get("type") in CHOICE_TYPES]
        conditions = [
            _condition_view(c, i=i, errors=errors, choice_questions=choice_questions)
            for i, c in enumerate(question.get("show_if") or [])
            if isinstance(c, Mapping)
        ]
        choices = []
        if question.get("type") in ("single_choice", "multiple_choice"):
            for i, choice in enumerate(question.get("choices") or []):
                choices.append(
                    {
                        "i": i,
                        "id": choice.get("id", ""),
                        "text": choice.get("text", ""),
                        "error": errors.get(f"choices.{i}")
                        or errors.get(f"choices.{i}.text")
                        or errors.get(f"choices.{i}.id"),
                    }
                )
        out.append(
            {
                "n": n,
                "number": n + 1,
                "q": question,
                "type_label": TYPE_LABELS.get(str(question.get("type")), "Question"),
                "errors": errors,
                "choices": choices,
                "fixed_choices": [c["text"] for c in fixed_choices(question)]
                if question.get("type") in ("yes_no", "pmf")
                else [],
                "conditions": conditions,
                "choice_questions": choice_questions,
                "warnings": warned.get(str(question.get("id")), []),
                "first": n == 0,
                "last": n == len(document) - 1,
                "can_add_choice": len(choices) < MAX_CHOICES,
            }
        )
        earlier.append(question)
    return out


def _draft(survey: Survey) -> list[dict[str, Any]] | None:
    """Return the saved draft in its checked form (None: saved by a release that checked
    less; publishing it is refused, naming the field)."""
    try:
        return questions_clean(survey.questions or [])
    except QuestionsError:
        return None


def _status(survey: Survey, draft: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "live_version": survey.version,
        "unpublished": (survey.questions if draft is None else draft)
        != (survey.published_questions or []),
        "live_count": len(survey.published_questions or []),
    }


def _context(request: HttpRequest, state: EditorState) -> dict[str, Any]:
    survey, membership = state.survey, state.membership
    # The warnings are the saved draft's: a refused attempt is shown with its refusal instead.
    draft = _draft(survey)
    warnings = questions_warnings(survey.kind, draft) if draft is not None else []
    numbers = {q["id"]: n + 1 for n, q in enumerate(draft or [])}
    preview = _preview_choice(request, survey)
    base = reverse("project-survey-preview", args=[membership.project.slug, survey.public_id])
    return {
        "membership": membership,
        "project": membership.project,
        "survey": survey,
        "can_edit": membership.has_role(Role.ADMIN),
        "questions": questions_view(state.document, state.refusal, warnings),
        "refusal": state.refusal,
        "warnings": [
            {"number": numbers.get(w.question), "id": w.question, "message": w.message}
            for w in warnings
        ],
        "status": _status(survey, draft),
        "types": [(kind, TYPE_LABELS[kind]) for kind in TYPES],
        "condition_kinds": list(CONDITION_LABELS.items()),
        "categories": CATEGORIES,
        "operators": OPERATORS,
        "scale": SCALES[survey.kind],
        "preview": preview,
        "preview_src": f"{base}?{urlencode({k: preview[k] for k in ('path', 'locale')})}",
        "preview_base": base,
        "paths": [(c, c.title(), representative_score(survey.kind, c)) for c in CATEGORIES],
        "locales": preview_locales(survey),
        "widths": list(WIDTHS.items()),
        **state.extra,
    }


# --- answering ------------------------------------------------------------------------------


def _editor_url(survey: Survey, membership: Membership, anchor: str = "") -> str:
    url = reverse("project-survey-questions", args=[membership.project.slug, survey.public_id])
    return f"{url}#{anchor}" if anchor else url


def _answer(
    request: HtmxHttpRequest, state: EditorState, *, anchor: str = "", status: int = 200
) -> HttpResponse:
    """Answer a change: the editor fragment (htmx) or a redirect to the editor (plain POST);
    a refusal renders the editor, page or fragment, with a 400."""
    if state.refusal is not None:
        template = EDITOR if request.htmx else PAGE
        return render(request, template, _context(request, state), status=400)
    if not request.htmx:
        return redirect(_editor_url(state.survey, state.membership, anchor))
    response = render(request, EDITOR, _context(request, state), status=status)
    response["HX-Trigger"] = SAVED_EVENT
    return response


def _save(
    request: HtmxHttpRequest,
    state: EditorState,
    document: list[dict[str, Any]],
    *,
    anchor: str = "",
    problem: QuestionsError | None = None,
    show_attempt: bool = True,
) -> HttpResponse:
    """Save ``document`` as the draft (the one road), or refuse it: then nothing is written
    and the editor shows ``document`` (``show_attempt``) or the draft, with the error."""
    try:
        if problem is not None:
            raise ApplicationError(
                code="invalid", detail=str(problem), fields={problem.field: str(problem)}
            )
        survey_questions_save(survey=state.survey, questions=document)
    except ApplicationError as exc:
        where, message = next(iter(exc.fields.items()), ("questions", exc.detail))
        shown = document if show_attempt else list(state.survey.questions or [])
        state.document = shown
        # The field's index is the attempt's (a removal or a move shifts them).
        state.refusal = Refusal(
            field=where, message=str(message), where=describe_field(where, document)
        )
        return _answer(request, state)
    state.document = list(state.survey.questions or [])
    if request.htmx and request.POST.get("typing") and not request.POST.get("shown_error"):
        # Someone is typing: keep their field, refresh only the status and the warnings.
        response = render(request, TYPING, _context(request, state))
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = SAVED_EVENT
        return response
    return _answer(request, state, anchor=anchor)


def _change(request: HttpRequest, slug: str, survey_id: str) -> EditorState:
    """Return the editor's state for a change: admins and owners only (403 for the others,
    404 for strangers), before anything is read from the form."""
    survey, membership = survey_get_for_user(
        user=request.user, slug=slug, public_id=survey_id, role=Role.ADMIN
    )
    return EditorState(survey=survey, membership=membership, document=list(survey.questions or []))


def _index(document: Sequence[Mapping[str, Any]], question_id: str) -> int:
    for n, question in enumerate(document):
        if question.get("id") == question_id:
            return n
    raise QuestionsError("questions", f"has no question {question_id[:40]!r}")


# --- the views ------------------------------------------------------------------------------


@login_required
@require_GET
def survey_questions(request: HtmxHttpRequest, slug: str, survey_id: str) -> HttpResponse:
    """The designer: the draft's questions, their warnings, Publish and the live preview."""
    survey, membership = survey_get_for_user(user=request.user, slug=slug, public_id=survey_id)
    state = EditorState(survey=survey, membership=membership, document=list(survey.questions))
    return render(request, PAGE, _context(request, state))


@login_required
@require_POST
def question_add(request: HtmxHttpRequest, slug: str, survey_id: str) -> HttpResponse:
    state = _change(request, slug, survey_id)
    document = state.document
    kind = request.POST.get("type", "")
    if kind not in TYPES:
        problem = QuestionsError("type", f"must be one of {', '.join(TYPES)}")
        return _save(request, state, document, problem=problem, show_attempt=False)
    if kind == "message" and any(q.get("type") == "message" for q in document):
        problem = QuestionsError("type", "the survey has a closing message already")
        return _save(request, state, document, problem=problem, show_attempt=False)
    question = question_new(kind, document)
    # A closing message stays last: a new question goes before it.
    at = len(document) - 1 if document and document[-1].get("type") == "message" else len(document)
    return _save(
        request,
        state,
        [*document[:at], question, *document[at:]],
        anchor=f"q-{question['id']}",
        show_attempt=False,
    )


@login_required
@require_POST
def question_edit(
    request: HtmxHttpRequest, slug: str, survey_id: str, question_id: str
) -> HttpResponse:
    """Save one question's form, then apply its button (add or remove a choice or a
    condition); with no button, just save (the form's Save, or a field that changed)."""
    state = _change(request, slug, survey_id)
    document = state.document
    try:
        n = _index(document, question_id)
    except QuestionsError as exc:
        return _save(request, state, document, problem=exc, show_attempt=False)
    question, problem = question_from_post(
        request.POST, n=n, current=document[n], earlier=document[:n]
    )
    action = request.POST.get("action", "save")
    if action == "add_choice" and "choices" in question:
        taken = [str(c.get("id")) for c in question["choices"]]
        question["choices"].append(
            {"id": _new_id("c", taken), "text": f"Option {len(question['choices']) + 1}"}
        )
    elif action.startswith("remove_choice-") and "choices" in question:
        at = _count(action.removeprefix("remove_choice-"))
        question["choices"] = [c for i, c in enumerate(question["choices"]) if i != at]
    elif action == "add_condition":
        where = f"questions.{n}.show_if.{len(question['show_if'])}"
        try:
            question["show_if"].append(
                condition_new(
                    request.POST.get("new_condition", ""),
                    survey_kind=state.survey.kind,
                    earlier=document[:n],
                    where=where,
                )
            )
        except QuestionsError as exc:
            problem = problem or exc
        if question["show_if"] and question["show_if"][-1].get("kind") == "property":
            problem = problem or QuestionsError(
                f"{where}.property", "names a property of the person"
            )
    elif action.startswith("remove_condition-"):
        at = _count(action.removeprefix("remove_condition-"))
        question["show_if"] = [c for i, c in enumerate(question["show_if"]) if i != at]
    attempt = [*document[:n], question, *document[n + 1 :]]
    return _save(request, state, attempt, anchor=f"q-{question_id}", problem=problem)


@login_required
@require_POST
def question_move(
    request: HtmxHttpRequest, slug: str, survey_id: str, question_id: str
) -> HttpResponse:
    state = _change(request, slug, survey_id)
    document = state.document
    try:
        n = _index(document, question_id)
        step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
        if step is None:
            raise QuestionsError("direction", "must be up or down")
        to = n + step
        if not 0 <= to < len(document):
            raise QuestionsError(f"questions.{n}", "cannot move further")
    except QuestionsError as exc:
        return _save(request, state, document, problem=exc, show_attempt=False)
    moved = list(document)
    moved[n], moved[to] = moved[to], moved[n]
    return _save(request, state, moved, anchor=f"q-{question_id}", show_attempt=False)


@login_required
@require_POST
def question_remove(
    request: HtmxHttpRequest, slug: str, survey_id: str, question_id: str
) -> HttpResponse:
    state = _change(request, slug, survey_id)
    document = state.document
    try:
        n = _index(document, question_id)
    except QuestionsError as exc:
        return _save(request, state, document, problem=exc, show_attempt=False)
    return _save(request, state, [*document[:n], *document[n + 1 :]], show_attempt=False)


@login_required
@require_POST
def questions_publish(request: HtmxHttpRequest, slug: str, survey_id: str) -> HttpResponse:
    """Make the draft the live version (or say there is nothing new to publish)."""
    state = _change(request, slug, survey_id)
    try:
        version = survey_publish(survey=state.survey, by=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        where, message = next(iter(exc.fields.items()), ("questions", exc.detail))
        state.refusal = Refusal(
            field=where, message=str(message), where=describe_field(where, state.document)
        )
        return _answer(request, state)
    if version is None:
        note = "Nothing to publish: the live version is the draft."
    else:
        note = f"Published version {version.number}: the widget asks it from now on."
    state.document = list(state.survey.questions or [])
    if request.htmx:
        state.extra["note"] = note
        return render(request, EDITOR, _context(request, state))
    messages.success(request, note)
    return redirect(_editor_url(state.survey, state.membership))


@login_required
@require_POST
def survey_copy(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    """Duplicate the survey as a switched-off draft and open the copy."""
    survey, _ = survey_get_for_user(
        user=request.user, slug=slug, public_id=survey_id, role=Role.ADMIN
    )
    copy = survey_duplicate(survey=survey)
    messages.success(
        request, f"Created {copy.name}: switched off, its questions a draft to publish."
    )
    return redirect("project-survey-questions", slug=slug, survey_id=str(copy.public_id))


# The preview runs the real widget inside a frame sandboxed without allow-same-origin, so its
# document has an opaque origin, and 'self' in a policy cannot be relied on to name
# Promoter's scripts there. This page therefore gets a policy of its own: scripts only by
# this response's nonce (the widget's two files and the one inline call), no network at all
# (the preview sends nothing), and framing allowed to the dashboard alone (frame-ancestors
# 'self' with X-Frame-Options SAMEORIGIN, where every other page says none/DENY).
PREVIEW_POLICY = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'"
)


@login_required
@require_http_methods(["GET", "HEAD"])
@xframe_options_sameorigin
def survey_preview(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    """A tiny page that shows the DRAFT with the real widget, as if the person had chosen
    the path's score: the designer's preview frame."""
    survey, membership = survey_get_for_user(user=request.user, slug=slug, public_id=survey_id)
    choice = _preview_choice(request, survey)
    nonce = str(request.csp_nonce)  # type: ignore[attr-defined]  # the middleware's, drawn now
    payload = survey_preview_payload(
        project=membership.project, survey=survey, locale=choice["locale"]
    )
    response = render(
        request,
        PREVIEW,
        {
            "survey": survey,
            "payload": payload,
            "score": representative_score(survey.kind, choice["path"]),
            "path": choice["path"],
            "locale": payload["locale"],
            "widget_src": widget_url(),
            "questions_src": questions_url(),
        },
    )
    response["Content-Security-Policy"] = PREVIEW_POLICY.format(nonce=nonce)
    response["Cache-Control"] = "no-store"
    return response
