"""The write of the eligibility use case: an offer holds the person, so that of several pages
asking at the same moment (tabs, app processes) exactly one is offered the survey."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from promoter.people.models import EndUser
from promoter.responses.models import Decline
from promoter.responses.selectors import ContactHistory


def offer_claim(
    *, person: EndUser, until: datetime.datetime, now: datetime.datetime, history: ContactHistory
) -> datetime.datetime | None:
    """Claim an offer to ``person``, holding them ``until``, by one conditional UPDATE.
    Return None when the claim is ours, else until when another page's offer holds them.

    The hold is renewed by the display (:func:`promoter.actions.responses.display_record`).
    A dismissal ends it early, so the claim also checks that the decision did not miss one:
    a page that read the person's ``history`` just before a dismissal was stored would
    otherwise win the freed hold with a stale decision and offer the survey just dismissed.
    A person created by the offer itself (``people.services.end_user_insert``) holds it from
    their INSERT.
    """
    free = Q(offered_until__isnull=True) | Q(offered_until__lte=now)
    declines = Decline.objects.filter(end_user_id=OuterRef("pk"))
    if seen := max(history.last_decline.values(), default=None):
        declines = declines.filter(created_at__gt=seen)
    fresh = ~Exists(declines)
    if EndUser.objects.filter(free, fresh, pk=person.pk).update(offered_until=until):
        return None
    held = EndUser.objects.filter(pk=person.pk).values_list("offered_until", flat=True).first()
    return held or until
