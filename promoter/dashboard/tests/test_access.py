"""Owner/admin/member/viewer/outsider/anonymous on every project page (docs/security.md).

The table below must name every URL pattern that takes a project slug: a new page fails
``test_every_project_page_is_in_the_matrix`` until its access rules are stated here.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from promoter.accounts.models import Invitation, Membership, Project, Role, User
from promoter.responses.models import AutoTagRule, Response, ResponseTag, Tag
from promoter.responses.services import (
    autotag_rule_create,
    response_create,
    response_tag_add,
    tag_get_or_create,
)

ROLES = ("owner", "admin", "member", "viewer", "outsider", "anonymous")
READ = {"owner": 200, "admin": 200, "member": 200, "viewer": 200, "outsider": 404}
ADMIN_WRITE = {"owner": 302, "admin": 302, "member": 403, "viewer": 403, "outsider": 404}
MEMBER_WRITE = {"owner": 302, "admin": 302, "member": 302, "viewer": 403, "outsider": 404}
ADMIN_READ = {"owner": 302, "admin": 302, "member": 403, "viewer": 403, "outsider": 404}


def _extra_viewer(world) -> dict[str, str]:
    extra = User.objects.create_user("extra@example.com", "x" * 12)
    Membership.objects.create(user=extra, project=world.alpha, role=Role.VIEWER)
    return {"user_id": str(extra.public_id)}


def _pending_invitation(world) -> dict[str, str]:
    invitation = Invitation.objects.create(
        project=world.alpha, email="new@example.com", role=Role.VIEWER
    )
    return {"invitation_id": str(invitation.public_id)}


def _no_args(world) -> dict[str, str]:
    return {}


def _survey(world) -> dict[str, str]:
    return {"survey_id": str(world.alpha.surveys.get(kind="nps").public_id)}


def _survey_with_questions(world) -> dict[str, str]:
    """The NPS survey with two questions in its draft."""
    from promoter.actions.surveys import survey_questions_save

    survey = world.alpha.surveys.get(kind="nps")
    questions = [
        {"id": "why", "type": "text", "text": "Why?"},
        {"id": "more", "type": "text", "text": "Anything else?"},
    ]
    survey_questions_save(survey=survey, questions=questions)
    return {"survey_id": str(survey.public_id)}


def _survey_question(world) -> dict[str, str]:
    return _survey_with_questions(world) | {"question_id": "why"}


def _response(world) -> dict[str, str]:
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=world.alpha.surveys.get(kind="nps"),
        end_user=None,
        score=3,
        comment="Too expensive",
        now=datetime.datetime.now(datetime.UTC),
    )
    return {"response_id": str(response.public_id)}


def _a_response(world) -> dict[str, str]:
    _response(world)
    return {}


def _tagged_response(world) -> dict[str, str]:
    kwargs = _response(world)
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    response_tag_add(response=Response.objects.get(public_id=kwargs["response_id"]), tag=tag)
    return kwargs | {"tag_id": str(tag.public_id)}


def _emailed_response(world) -> dict[str, str]:
    from promoter.people.models import EndUser

    kwargs = _response(world)
    now = datetime.datetime.now(datetime.UTC)
    person = EndUser.objects.create(
        project=world.alpha, email="jane@example.com", first_seen_at=now, last_seen_at=now
    )
    Response.objects.filter(public_id=kwargs["response_id"]).update(end_user=person)
    return kwargs


def _autopilot_survey(world) -> dict[str, str]:
    from promoter.channels.services import autopilot_configure

    survey = world.alpha.surveys.get(kind="nps")
    autopilot_configure(survey=survey, interval_days=90, is_active=True)
    return {"survey_id": str(survey.public_id)}


class _Send(dict):
    """The send form: it names the survey, known only once the world exists."""

    def __init__(self) -> None:
        super().__init__(people="ann@example.com")


_SEND = _Send()


def _a_destination(world):
    from promoter.integrations.destinations import destination_create

    return destination_create(
        project=world.alpha,
        kind="slack",
        name="Support",
        data={"url": "https://hooks.slack.com/T/B/x"},
    )


def _destination(world) -> dict[str, str]:
    return {"destination_id": str(_a_destination(world).public_id)}


def _some_destination(world) -> dict[str, str]:
    _a_destination(world)
    return {}


def _failed_destination(world) -> dict[str, str]:
    from promoter.integrations.models import Delivery, DeliveryStatus

    destination = _a_destination(world)
    now = datetime.datetime.now(datetime.UTC)
    Delivery.objects.create(
        project=world.alpha, destination=destination, event="test",
        status=DeliveryStatus.FAILED, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    return {"destination_id": str(destination.public_id)}


def _routing_rule(world) -> dict[str, str]:
    from promoter.integrations.destinations import rule_create

    rule = rule_create(destination=_a_destination(world), events=["response.created"])
    return {"rule_id": str(rule.public_id)}


def _api_key(world) -> dict[str, str]:
    from promoter.accounts.services import api_key_create

    return {"key_id": str(api_key_create(project=world.alpha, name="k").api_key.public_id)}


def _an_upload(world) -> dict[str, str]:
    # An upload token that exists in no session: admins are sent back to upload again
    # (302), everyone else is refused before that.
    import uuid as _uuid

    return {"token": str(_uuid.uuid4())}


def _assigned_response(world) -> dict[str, str]:
    kwargs = _response(world)
    Response.objects.filter(public_id=kwargs["response_id"]).update(assignee=world.member)
    return kwargs


def _tag(world) -> dict[str, str]:
    tag_get_or_create(project=world.alpha, name="Target")
    return {"tag_id": str(tag_get_or_create(project=world.alpha, name="Pricing").public_id)}


def _rule(world) -> dict[str, str]:
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    rule = autotag_rule_create(project=world.alpha, tag=tag, phrases=["price"])
    return {"rule_id": str(rule.public_id)}


SURVEY_FORM = {
    "name": "Renamed NPS",
    "is_active": "on",
    "channels": ["web"],
    "delay_seconds": "0",
    "first_survey_after_days": "0",
    "resurvey_after_days": "60",
    "after_decline_days": "30",
    "sampling_percent": "100",
    "anonymous_sampling_percent": "100",
}


# url name -> list of (method, data, extra kwargs factory, expected status per role)
MATRIX: dict[str, list[tuple[str, dict[str, str], Callable, dict[str, int]]]] = {
    "project-overview": [("get", {}, _no_args, READ)],
    "project-responses": [("get", {}, _no_args, READ)],
    "project-responses-csv": [("get", {}, _no_args, READ)],
    "project-segments": [("get", {}, _no_args, READ)],
    "project-reasons": [("get", {}, _no_args, READ)],
    "project-theme-to-tag": [
        ("post", {"name": "Exports", "phrase": ["export", "csv"]}, _no_args, ADMIN_WRITE)
    ],
    "project-compare": [("get", {"a": "plan:eq:pro"}, _no_args, READ)],
    "project-settings": [
        ("get", {}, _no_args, READ),
        (
            "post",
            {"name": "Renamed", "timezone": "Europe/Paris", "fatigue_days": "30"},
            _no_args,
            ADMIN_WRITE,
        ),
    ],
    "project-members": [
        ("get", {}, _no_args, READ),
        ("post", {"email": "invitee@example.com", "role": "member"}, _no_args, ADMIN_WRITE),
    ],
    "project-surveys": [
        ("get", {}, _no_args, READ),
        ("post", {"kind": "csat"}, _no_args, ADMIN_WRITE),
    ],
    "project-survey": [
        ("get", {}, _survey, READ),
        ("post", SURVEY_FORM, _survey, ADMIN_WRITE),
    ],
    "project-survey-answers": [("get", {}, _survey, READ)],
    "project-survey-questions": [("get", {}, _survey_with_questions, READ)],
    "project-survey-question-add": [("post", {"type": "text"}, _survey, ADMIN_WRITE)],
    "project-survey-question": [
        ("post", {"text": "Changed?", "conditions": "0"}, _survey_question, ADMIN_WRITE)
    ],
    "project-survey-question-move": [
        ("post", {"direction": "down"}, _survey_question, ADMIN_WRITE)
    ],
    "project-survey-question-remove": [("post", {}, _survey_question, ADMIN_WRITE)],
    "project-survey-publish": [("post", {}, _survey_with_questions, ADMIN_WRITE)],
    "project-survey-duplicate": [("post", {}, _survey, ADMIN_WRITE)],
    "project-survey-preview": [("get", {"path": "detractor"}, _survey_with_questions, READ)],
    "project-explain": [("get", {"who": "someone"}, _no_args, READ)],
    "project-install": [("get", {}, _no_args, READ)],
    "project-member-role": [("post", {"role": "member"}, _extra_viewer, ADMIN_WRITE)],
    "project-member-remove": [("post", {}, _extra_viewer, ADMIN_WRITE)],
    "project-invitation-revoke": [("post", {}, _pending_invitation, ADMIN_WRITE)],
    "project-tags": [("get", {}, _no_args, READ)],
    "project-tags-suggest": [("get", {"name": "pri"}, _no_args, READ)],
    "project-tags-bulk": [("post", {"name": "Everyone"}, _a_response, MEMBER_WRITE)],
    "project-response-tag-add": [("post", {"name": "Pricing"}, _response, MEMBER_WRITE)],
    "project-response-tag-remove": [("post", {}, _tagged_response, MEMBER_WRITE)],
    "project-tag-rename": [("post", {"name": "Prices"}, _tag, ADMIN_WRITE)],
    "project-tag-merge": [("post", {"into": "Target"}, _tag, ADMIN_WRITE)],
    "project-tag-parent": [("post", {"parent": "Target"}, _tag, ADMIN_WRITE)],
    "project-tag-delete": [("post", {}, _tag, ADMIN_WRITE)],
    "project-tag-rules": [("post", {"tag": "Pricing", "phrases": "price"}, _no_args, ADMIN_WRITE)],
    "project-tag-rule-active": [("post", {"active": "off"}, _rule, ADMIN_WRITE)],
    "project-tag-rule-delete": [("post", {}, _rule, ADMIN_WRITE)],
    "project-tag-rule-backfill": [("post", {}, _rule, ADMIN_WRITE)],
    "project-tag-rule-progress": [("get", {}, _rule, READ)],
    "project-followup": [("get", {}, _a_response, READ)],
    "project-import": [("get", {}, _no_args, READ)],
    "project-import-check": [("get", {}, _an_upload, ADMIN_READ)],
    "project-apikey-create": [("post", {"name": "CRM"}, _no_args, ADMIN_WRITE)],
    "project-apikey-revoke": [("post", {}, _api_key, ADMIN_WRITE)],
    "project-integrations": [("get", {}, _some_destination, READ)],
    "project-integrations-add": [
        (
            "post",
            {"kind": "slack", "name": "S", "url": "https://hooks.slack.com/x"},
            _no_args,
            ADMIN_WRITE,
        )
    ],
    "project-integration": [("get", {}, _destination, READ)],
    "project-integration-update": [
        ("post", {"name": "Renamed", "url": ""}, _destination, ADMIN_WRITE)
    ],
    "project-integration-active": [("post", {}, _destination, ADMIN_WRITE)],
    "project-integration-delete": [("post", {}, _destination, ADMIN_WRITE)],
    "project-integration-test": [("post", {}, _destination, ADMIN_WRITE)],
    "project-integration-replay": [("post", {}, _failed_destination, ADMIN_WRITE)],
    "project-integration-rules": [
        ("post", {"events": "response.created"}, _destination, ADMIN_WRITE)
    ],
    "project-integration-rule-active": [("post", {}, _routing_rule, ADMIN_WRITE)],
    "project-integration-rule-delete": [("post", {}, _routing_rule, ADMIN_WRITE)],
    "project-email": [("get", {}, _no_args, READ)],
    "project-invitations-send": [("post", _SEND, _no_args, MEMBER_WRITE)],
    "project-autopilot": [("post", {"interval_days": "30", "active": "on"}, _survey, ADMIN_WRITE)],
    "project-autopilot-members": [
        ("post", {"people": "ann@example.com"}, _autopilot_survey, ADMIN_WRITE)
    ],
    "project-response": [("get", {}, _response, READ)],
    "project-response-reply": [
        ("post", {"subject": "Hi", "body": "Thanks"}, _emailed_response, MEMBER_WRITE)
    ],
    "project-response-note": [("post", {"body": "Call them"}, _response, MEMBER_WRITE)],
    "project-response-assign": [("post", {"assignee": ""}, _assigned_response, MEMBER_WRITE)],
    "project-person-erase": [("post", {}, _emailed_response, ADMIN_WRITE)],
    "project-response-status": [("post", {"status": "closed"}, _response, MEMBER_WRITE)],
}

CASES = [
    (name, i, role)
    for name, entries in MATRIX.items()
    for i in range(len(entries))
    for role in ROLES
]


def _app_patterns(patterns: list[URLPattern | URLResolver]) -> list[URLPattern]:
    """The root URLconf's patterns with each app's ``urls.py`` (an include without a namespace)
    flattened in; namespaced APIs (ingest, REST, Delighted) are left out."""
    found: list[URLPattern] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace is None:
                found += _app_patterns(p.url_patterns)
        else:
            found.append(p)
    return found


def test_every_project_page_is_in_the_matrix():
    names = {
        p.name
        for p in _app_patterns(get_resolver().url_patterns)
        if isinstance(p, URLPattern) and "slug" in p.pattern.regex.groupindex
    }
    assert names == set(MATRIX)


def _snapshot(project: Project) -> tuple:
    project.refresh_from_db()
    return (
        project.name,
        project.timezone,
        sorted(Membership.objects.filter(project=project).values_list("user__email", "role")),
        sorted(Invitation.objects.filter(project=project).values_list("email", "role")),
        sorted(project.surveys.values_list("kind", "name", "is_active", "resurvey_after_days")),
        sorted(str(v) for v in project.surveys.values_list("version", "questions")),
        _tags_snapshot(project),
        _triage_snapshot(project),
    )


def _triage_snapshot(project: Project) -> tuple:
    from promoter.people.models import EndUser
    from promoter.responses.models import Activity, Note, Reply

    return (
        sorted(EndUser.objects.filter(project=project).values_list("public_id", flat=True)),
        sorted(
            Response.objects.filter(project=project).values_list(
                "public_id", "status", "assignee__email"
            )
        ),
        Note.objects.filter(response__project=project).count(),
        Reply.objects.filter(response__project=project).count(),
        Activity.objects.filter(response__project=project).count(),
        _channels_snapshot(project),
        _integrations_snapshot(project),
        sorted(project.api_keys.values_list("name", "revoked_at")),
    )


def _integrations_snapshot(project: Project) -> tuple:
    from promoter.integrations.models import Delivery, Destination, Rule

    return (
        sorted(Destination.objects.filter(project=project).values_list("name", "is_active")),
        sorted(Rule.objects.filter(project=project).values_list("is_active", flat=True)),
        sorted(Delivery.objects.filter(project=project).values_list("event", "status")),
    )


def _channels_snapshot(project: Project) -> tuple:
    from promoter.channels.models import Autopilot, AutopilotMember, Invitation

    return (
        sorted(Invitation.objects.filter(project=project).values_list("end_user__email", "status")),
        sorted(Autopilot.objects.filter(project=project).values_list("interval_days", "is_active")),
        AutopilotMember.objects.filter(autopilot__project=project).count(),
    )


def _tags_snapshot(project: Project) -> tuple:
    return (
        sorted(Tag.objects.filter(project=project).values_list("name", "parent__name", "color")),
        sorted(
            ResponseTag.objects.filter(tag__project=project).values_list(
                "response__public_id", "tag__name"
            )
        ),
        sorted(
            (rule.tag.name, rule.phrases, rule.is_active, str(rule.backfill_requested_at))
            for rule in AutoTagRule.objects.filter(project=project).select_related("tag")
        ),
    )


@pytest.mark.parametrize(("name", "index", "role"), CASES)
def test_access(world, name, index, role):
    method, data, kwargs_factory, expected = MATRIX[name][index]
    kwargs = kwargs_factory(world)
    url = reverse(name, kwargs={"slug": world.alpha.slug, **kwargs})
    before = _snapshot(world.alpha)
    if isinstance(data, _Send):
        data = {**data, "survey": str(world.alpha.surveys.get(kind="nps").public_id)}
    response = getattr(world.client_for(role), method)(url, data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected[role], response.content[:300]
    if method == "post" and (role == "anonymous" or expected[role] >= 400):
        assert _snapshot(world.alpha) == before, "a refused write changed something"
    if method == "post" and role != "anonymous" and expected[role] == 302:
        assert _snapshot(world.alpha) != before, "an allowed write changed nothing"


def test_outsider_content_never_leaks(world):
    response = world.client_for("outsider").get(reverse("project-overview", args=["alpha"]))
    assert response.status_code == 404
    assert b"Alpha" not in response.content


@pytest.mark.parametrize("name", ["project-member-role", "project-member-remove"])
def test_ids_from_another_project_are_not_found(world, name):
    # The owner of alpha names beta's owner through alpha's URL: not a member here -> 404.
    url = reverse(name, kwargs={"slug": "alpha", "user_id": str(world.outsider.public_id)})
    response = world.client_for("owner").post(url, {"role": "viewer"})
    assert response.status_code == 404
    assert Membership.objects.get(user=world.outsider, project=world.beta).role == Role.OWNER


def test_invitation_of_another_project_is_not_found(world):
    other = Invitation.objects.create(project=world.beta, email="x@example.com")
    url = reverse(
        "project-invitation-revoke", kwargs={"slug": "alpha", "invitation_id": str(other.public_id)}
    )
    assert world.client_for("owner").post(url).status_code == 404
    assert Invitation.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_malformed_or_unknown_ids_are_not_found(world, bad_id):
    url = reverse("project-member-role", kwargs={"slug": "alpha", "user_id": bad_id})
    assert world.client_for("owner").post(url, {"role": "viewer"}).status_code == 404


def test_viewer_sees_settings_read_only(world):
    response = world.client_for("viewer").get(reverse("project-settings", args=["alpha"]))
    assert response.status_code == 200
    assert b"an admin or owner can change them" in response.content
    assert b"Save settings" not in response.content
    assert world.alpha.secret.encode() not in response.content
