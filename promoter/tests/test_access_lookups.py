"""The lookups of ``promoter/access.py`` that the dashboard's pages and the public survey pages
use, each branch: what the caller's project (or the link's capability) reaches is found;
another tenant's object, a malformed id and an altered token are all NotFound alike.
"""

from __future__ import annotations

import uuid

import pytest
from django.core import signing
from django.utils import timezone

from promoter import access
from promoter.accounts.models import Project
from promoter.channels import links, services
from promoter.channels.models import InvitationSource
from promoter.people.services import Identity
from promoter.responses.services import tag_get_or_create
from promoter.surveys.models import Survey


def _survey(project: Project) -> Survey:
    return Survey.objects.get(project=project, kind="nps")


def test_a_response_position_is_found_in_its_project_only(world):
    answer = services.link_answer(survey=_survey(world.alpha), score=9, now=timezone.now())
    found = access.response_position_in_project(project=world.alpha, public_id=answer.public_id)
    assert found == (answer.created_at, answer.pk)
    for project, public_id in ((world.beta, answer.public_id), (world.alpha, "not-an-id")):
        with pytest.raises(access.NotFound):
            access.response_position_in_project(project=project, public_id=public_id)


def test_tags_in_project_leave_out_other_tenants_and_malformed_ids(
    world, django_assert_num_queries
):
    ours = tag_get_or_create(project=world.alpha, name="Pricing")
    theirs = tag_get_or_create(project=world.beta, name="Pricing")
    sent = [str(ours.public_id), str(theirs.public_id), "not-an-id", str(uuid.uuid4())]
    assert access.tags_in_project(project=world.alpha, public_ids=sent) == [ours]
    with django_assert_num_queries(0):  # nothing well-formed: nothing to ask
        assert access.tags_in_project(project=world.alpha, public_ids=["x", "\x00"]) == []


def test_an_email_invitation_is_found_by_its_signed_token_only(world):
    invitation = services.invitation_schedule(
        project=world.alpha,
        survey=_survey(world.alpha),
        identity=Identity(email="jane@example.com"),
        source=InvitationSource.API,
        now=timezone.now(),
    )
    token = links.token_for(invitation.public_id)
    found = access.email_invitation_get_by_token(token=token)
    assert found == invitation and found.survey.project == world.alpha
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (altered, links.token_for(uuid.uuid4()), ""):
        with pytest.raises(access.NotFound):
            access.email_invitation_get_by_token(token=wrong)


def test_a_link_survey_is_found_while_active(world):
    survey = _survey(world.alpha)
    assert access.link_survey_get(public_id=str(survey.public_id)) == survey
    for wrong in ("not-an-id", str(uuid.uuid4())):
        with pytest.raises(access.NotFound):
            access.link_survey_get(public_id=wrong)
    Survey.objects.filter(pk=survey.pk).update(is_active=False)
    with pytest.raises(access.NotFound):
        access.link_survey_get(public_id=str(survey.public_id))


def test_a_link_answer_is_found_within_its_survey_only(world):
    survey = _survey(world.alpha)
    answer = services.link_answer(survey=survey, score=9, now=timezone.now())
    assert access.response_get_in_survey(survey=survey, public_id=answer.public_id) == answer
    with pytest.raises(access.NotFound):
        access.response_get_in_survey(survey=_survey(world.beta), public_id=answer.public_id)
    signed = signing.Signer(salt="another").sign(answer.public_id.hex)
    with pytest.raises(access.NotFound):  # the id must be a bare id, not a token
        access.response_get_in_survey(survey=survey, public_id=signed)


def test_the_demo_project_is_its_slug_else_the_oldest_project(world):
    assert access.demo_project_get(slug="beta") == world.beta
    assert access.demo_project_get(slug="no-such-project") == world.alpha


@pytest.mark.django_db
def test_no_project_is_no_demo_project():
    with pytest.raises(access.NotFound):
        access.demo_project_get(slug="acme")
