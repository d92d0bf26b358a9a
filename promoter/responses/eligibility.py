"""Which survey, if any, to show a person now: the database side of the eligibility engine.

:func:`decide` feeds what the database knows (the project's surveys, the person and their
contact history) to the pure rules in :mod:`promoter.surveys.eligibility`. The ingest API and
the dashboard's eligibility explainer both call it, so both always agree.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from promoter.accounts.models import Project
from promoter.core.zones import zone
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_find
from promoter.responses.selectors import ContactHistory, contact_history, responses_count_since
from promoter.surveys.eligibility import Check, Condition, Person, Rules, Verdict, evaluate
from promoter.surveys.models import Survey
from promoter.surveys.pages import pages_from


@dataclass(frozen=True)
class SurveyVerdict:
    survey: Survey
    verdict: Verdict


@dataclass(frozen=True)
class Decision:
    """The survey to show (or None), and every candidate survey's verdict, in order."""

    survey: Survey | None
    verdicts: tuple[SurveyVerdict, ...]

    @property
    def eligible(self) -> bool:
        return self.survey is not None

    @property
    def reason(self) -> str | None:
        if self.survey is not None:
            return None
        if not self.verdicts:
            return "no_survey"
        return self.verdicts[0].verdict.reason

    @property
    def next_eligible_at(self) -> datetime.datetime | None:
        """Return the earliest time any candidate survey could be shown, if time-bound."""
        times = [v.verdict.next_eligible_at for v in self.verdicts]
        known = [t for t in times if t is not None]
        return min(known) if known else None


def active_surveys(*, project: Project) -> list[Survey]:
    """Return ``project``'s active surveys, oldest first (the order they are offered in)."""
    return list(Survey.objects.filter(project=project, is_active=True).order_by("created_at", "pk"))


def candidate_surveys(
    surveys: Sequence[Survey], *, event: str = "", survey_public_id: str | None = None
) -> list[Survey]:
    """Return the surveys to consider: those of ``event`` (page load when empty), or the one
    survey asked for."""
    if survey_public_id is not None:
        return [s for s in surveys if str(s.public_id) == str(survey_public_id)]
    return [s for s in surveys if (s.trigger_event or "") == (event or "")]


def surveys_for_key(*, key: str) -> tuple[Project | None, list[Survey]]:
    """Return the project of public ``key`` and its active surveys, oldest first, in one query
    (two when the project has no active survey)."""
    surveys = list(
        Survey.objects.select_related("project")
        .filter(project__public_key=key, is_active=True)
        .order_by("created_at", "pk")
    )
    if surveys:
        return surveys[0].project, surveys
    return Project.objects.filter(public_key=key).first(), []


def person_with_history(
    *, project: Project, identity: Identity
) -> tuple[EndUser | None, ContactHistory]:
    """Return the person ``identity`` names (None when new) and their contact history: one
    query for a new person, two for a known one."""
    person = end_user_find(project=project, identity=identity)
    return person, contact_history(person)


def person_find(*, project: Project, text: str) -> tuple[EndUser | None, ContactHistory]:
    """Return the person whose id or e-mail is ``text`` (an id match first), with history.

    For people looking someone up (the explainer): unlike identity resolution, an e-mail finds
    a person who also has an id.
    """
    people = EndUser.objects.filter(project=project).filter(
        Q(external_id=text) | Q(email=text.strip().lower())
    )
    found = sorted(people, key=lambda p: (p.external_id != text, -p.last_seen_at.timestamp()))
    person = found[0] if found else None
    return person, contact_history(person)


def rules_for(survey: Survey) -> Rules:
    """Return the eligibility rules of ``survey``."""
    targeting = tuple(
        Condition.from_dict(c) for c in (survey.targeting or []) if isinstance(c, dict)
    )
    return Rules(
        enabled=survey.is_active,
        channels=tuple(survey.channels or ()),
        targeting=targeting,
        pages=pages_from(survey.pages),
        first_survey_after_days=survey.first_survey_after_days,
        resurvey_after_days=survey.resurvey_after_days,
        after_decline_days=survey.after_decline_days,
        sampling_percent=survey.sampling_percent,
        anonymous_sampling_percent=survey.anonymous_sampling_percent,
        daily_cap=survey.daily_cap,
        sampling_salt=str(survey.public_id),
    )


def _start_of_day(now: datetime.datetime, tz_name: str) -> datetime.datetime:
    local = now.astimezone(zone(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def decide(
    *,
    project: Project,
    surveys: Sequence[Survey],
    identity: Identity,
    person: EndUser | None,
    history: ContactHistory,
    channel: str,
    now: datetime.datetime,
    force: bool = False,
    url: str = "",
) -> Decision:
    """Return the first of ``surveys`` the person may see now, with every survey's verdict.

    What the caller sends (properties, sign-up date) is newer than what is stored, so it wins.
    The daily cap costs one count query, run only for a survey with a cap that every other
    rule lets through. ``force`` shows the first survey whatever the rules say. ``url`` is
    the page the person is on (page targeting).
    """
    properties = {**(person.properties if person else {}), **identity.properties}
    signed_up_at = identity.signed_up_at or (person.signed_up_at if person else None)
    verdicts: list[SurveyVerdict] = []
    for survey in surveys:
        subject = Person(
            key=identity.key,
            identified=identity.identified,
            properties=properties,
            signed_up_at=signed_up_at,
            last_response_at=history.last_response.get(survey.pk),
            last_decline_at=history.last_decline.get(survey.pk),
            last_surveyed_at=history.last_contact,
        )
        rules = rules_for(survey)
        verdict = evaluate(
            rules=rules,
            person=subject,
            now=now,
            channel=channel,
            fatigue_days=project.fatigue_days,
            url=url,
        )
        if verdict.eligible and survey.daily_cap is not None:
            start = _start_of_day(now, project.timezone)
            today = responses_count_since(survey_id=survey.pk, project_id=project.pk, since=start)
            verdict = evaluate(
                rules=rules,
                person=subject,
                now=start + (now - start),
                channel=channel,
                fatigue_days=project.fatigue_days,
                responses_today=today,
                url=url,
            )
        verdicts.append(SurveyVerdict(survey, verdict))
        if force:
            forced = Verdict(True, None, (Check("forced", True, "shown on request"),))
            return Decision(survey, (SurveyVerdict(survey, forced),))
        if verdict.eligible:
            return Decision(survey, tuple(verdicts))
    return Decision(None, tuple(verdicts))
