"""After erasure nothing of the person is left anywhere: the check is generated over every
model of the installation, so a new table holding people's data is covered the day it is
added (issue 10, "Erasure"; docs/security.md)."""

from __future__ import annotations

import json

from django.apps import apps
from django.db import models
from django.utils import timezone

from promoter.actions.erasure import person_erase
from promoter.actions.tests.test_erasure import person_with_history
from promoter.integrations.models import Delivery, DeliveryStatus
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Note, Response

# What identifies Jane (and only her): any of these left in any column is a leak.
JANE = ("jane@example.com", "u-42", "jane-words-7731", "Jane Q. Unique", "jane-note-7731")


def _text_columns(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]


def _rows_mentioning(needles: tuple[str, ...]) -> dict[str, int]:
    """Count, per model of every installed app, the rows whose text or JSON mentions a needle."""
    found: dict[str, int] = {}
    for model in apps.get_models():
        columns = _text_columns(model)
        if not columns or model._meta.proxy:
            continue
        hits = 0
        for row in model._base_manager.values_list(*columns).iterator():
            text = json.dumps(row, default=str, ensure_ascii=False).lower()
            hits += any(n.lower() in text for n in needles)
        if hits:
            found[model._meta.label] = hits
    return found


def _person_links() -> list[tuple[type[models.Model], str]]:
    """Every (model, lookup) reaching a person, directly or through a response."""
    links: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                if field.related_model is EndUser:
                    links.append((model, field.name))
                elif field.related_model is Response:
                    links.append((model, f"{field.name}__end_user"))
    return links


def test_the_check_covers_the_tables_that_hold_people(world):
    labels = {model._meta.label for model, _ in _person_links()}
    # A sample of what the generated list must include (it grows with the schema).
    assert {"responses.Response", "responses.Display", "responses.Note",
            "integrations.Delivery", "channels.Invitation"} <= labels  # fmt: skip


def test_erasure_leaves_nothing_of_the_person_in_any_table(world):
    jane = person_with_history(world)
    bob = person_with_history(world, email="bob@example.com", external_id="u-7")
    now = timezone.now()
    EndUser.objects.filter(pk=jane.pk).update(properties={"name": "Jane Q. Unique"})
    Response.objects.filter(end_user=jane).update(
        comment="jane-words-7731", properties={"name": "Jane Q. Unique"}
    )
    Note.objects.filter(response__end_user=jane).update(body="jane-note-7731")
    Decline.objects.create(
        project=world.alpha, survey=world.alpha.surveys.get(kind="nps"), end_user=jane,
        created_at=now,
    )  # fmt: skip
    # Jane's deliveries are still waiting in the outbox when she is erased.
    assert Delivery.objects.filter(response__end_user=jane, status=DeliveryStatus.PENDING).exists()
    before = _rows_mentioning(JANE)
    assert "people.EndUser" in before and "responses.Response" in before  # the probe works

    jane_pk = jane.pk
    person_erase(person=jane, by="test")

    assert _rows_mentioning(JANE) == {}
    for model, lookup in _person_links():
        assert not model._base_manager.filter(**{lookup: jane_pk}).exists(), (model, lookup)
    # Bob keeps everything: the same history, deliveries still pending.
    assert _rows_mentioning(("bob@example.com",))["people.EndUser"] == 1
    assert Delivery.objects.filter(response__end_user=bob, status=DeliveryStatus.PENDING).exists()
