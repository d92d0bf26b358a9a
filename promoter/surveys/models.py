from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from promoter.accounts.models import Project
from promoter.surveys.scales import SCALES


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"


DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    SurveyKind.NPS: {
        "question": "How likely are you to recommend {product} to a friend or colleague?",
        "followup_promoter": "What do you like most about {product}?",
        "followup_passive": "What could we do to make {product} better for you?",
        "followup_detractor": "What disappointed you, and what should we fix first?",
        "thank_you": "Thank you for your feedback!",
    },
    SurveyKind.CSAT: {
        "question": "How satisfied are you with {product}?",
        "followup_promoter": "What did we do well?",
        "followup_passive": "What could we do better?",
        "followup_detractor": "What went wrong?",
        "thank_you": "Thank you for your feedback!",
    },
    SurveyKind.CES: {
        "question": "{product} made it easy for me to handle my issue.",
        "followup_promoter": "What made it easy?",
        "followup_passive": "What would have made it easier?",
        "followup_detractor": "What made it hard?",
        "thank_you": "Thank you for your feedback!",
    },
}


IN_APP_CHANNELS = ("web", "ios", "android")


def default_channels() -> list[str]:
    return ["web", "ios", "android", "email", "link"]


class Survey(models.Model):
    """A question of one kind (NPS 0-10, CSAT 1-5, CES 1-7) asked in a project."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=4, choices=SurveyKind.choices, default=SurveyKind.NPS)
    is_active = models.BooleanField(default=True)
    # {"en": {"question": …, "followup_promoter": …, "thank_you": …, "cta_text": …}, "fr": …}
    texts = models.JSONField(default=dict, blank=True)
    cta_url = models.URLField(blank=True)
    targeting = models.JSONField(default=list, blank=True)
    # On which pages of the app: {"include": [{"op", "value"}], "exclude": [...]} (pages.py).
    pages = models.JSONField(default=dict, blank=True)
    first_survey_after_days = models.PositiveIntegerField(default=0)
    resurvey_after_days = models.PositiveIntegerField(default=90)
    after_decline_days = models.PositiveIntegerField(default=30)
    sampling_percent = models.PositiveSmallIntegerField(default=100)
    # Visitors with neither id nor e-mail are sampled apart: they cannot be throttled as reliably.
    anonymous_sampling_percent = models.PositiveSmallIntegerField(default=100)
    daily_cap = models.PositiveIntegerField(null=True, blank=True)
    channels = models.JSONField(default=default_channels, blank=True)
    # Answers on the survey's public link are anonymous, whatever ?email= the link carries.
    link_anonymous = models.BooleanField(default=False)
    look = models.JSONField(default=dict, blank=True)
    # The feedback button (surveys/button.py): empty when the survey has none.
    button = models.JSONField(default=dict, blank=True)
    # The additional questions (surveys/questions.py): the draft, edited in the designer, and
    # the live version's, which the widget and the answer pages ask (``version`` its number;
    # 0: never published). Each published version is kept whole in SurveyVersion.
    questions = models.JSONField(default=list, blank=True)
    published_questions = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=0, db_default=0)
    # Empty: shown on page load. Else shown only after `Promoter.track(<event>)`.
    trigger_event = models.CharField(max_length=100, blank=True)
    delay_seconds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=list(SCALES)), name="survey_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(sampling_percent__lte=100), name="survey_sampling_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(anonymous_sampling_percent__lte=100),
                name="survey_anonymous_sampling_percent",
            ),
        ]
        indexes = [models.Index(fields=["project", "is_active"], name="survey_project_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        """Return (lowest, highest) score of this survey's scale."""
        return SCALES[self.kind]


class SurveyVersion(models.Model):
    """One published version of a survey's questions, never changed: an answer names the
    version its person saw."""

    survey = models.ForeignKey(Survey, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    questions = models.JSONField(default=list)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} v{self.number}"
