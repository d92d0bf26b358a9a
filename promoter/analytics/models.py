"""Daily score rollups: what the analytics selectors read instead of scanning responses.

Both tables are written only by database triggers on ``responses_response`` (and on a
project's timezone change), installed by this app's migrations; see
:mod:`promoter.analytics.rollups` for why triggers and how the selectors use them. Their
columns are plain integers, not foreign keys: a cascade that deletes a survey deletes its
responses, and the triggers take those away from the counts in the same statement.
"""

from __future__ import annotations

from django.db import models


class DailyScore(models.Model):
    """How many counted (not excluded) responses of a survey gave ``score`` on one local
    day of the project's timezone, through one channel."""

    project_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    day = models.DateField()
    channel = models.CharField(max_length=10)
    score = models.SmallIntegerField()
    # Concurrent writers on PostgreSQL spread over a few rows per key (backend pid modulo 4)
    # so that a burst of answers on one day does not queue on one row lock; reads sum them.
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey_id", "day", "channel", "score", "slot"],
                name="dailyscore_key",
            ),
        ]
        indexes = [models.Index(fields=["project_id", "day"], name="dailyscore_project_day")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} {self.day} {self.channel} score {self.score}: {self.n}"


class DailyProperty(models.Model):
    """How many counted responses of a survey gave ``score`` on one local day while their
    property ``key`` had ``value`` (its text, as ``properties ->> key`` reads it).

    Null and empty values are not stored (they read as "(not set)": the rest of the total).
    A value longer than :data:`promoter.analytics.rollups.MAX_TEXT` is stored as ``""``,
    which tells the selectors to count that property from the responses instead.
    """

    project_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    day = models.DateField()
    key = models.CharField(max_length=200)
    value = models.TextField()
    score = models.SmallIntegerField()
    slot = models.SmallIntegerField(default=0)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey_id", "key", "day", "value", "score", "slot"],
                name="dailyproperty_key",
            ),
        ]
        indexes = [models.Index(fields=["project_id", "day"], name="dailyproperty_project_day")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} {self.day} {self.key}={self.value}: {self.n}"


class WeeklyProperty(models.Model):
    """:class:`DailyProperty` summed over a local week (Monday to Sunday of the project's
    timezone), with the counts of the scores 0-10 side by side in one row: one row per value
    and week, where the daily rollup has one per value, day and score.

    A property with many values (an account, a company) has about one daily row per response,
    so the days do not compress; its weeks do, about eightfold. The selectors read whole
    weeks from here and the days around them from :class:`DailyProperty`.
    """

    project_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    week = models.DateField()  # the Monday
    key = models.CharField(max_length=200)
    value = models.TextField()
    slot = models.SmallIntegerField(default=0)
    n0 = models.BigIntegerField(default=0)
    n1 = models.BigIntegerField(default=0)
    n2 = models.BigIntegerField(default=0)
    n3 = models.BigIntegerField(default=0)
    n4 = models.BigIntegerField(default=0)
    n5 = models.BigIntegerField(default=0)
    n6 = models.BigIntegerField(default=0)
    n7 = models.BigIntegerField(default=0)
    n8 = models.BigIntegerField(default=0)
    n9 = models.BigIntegerField(default=0)
    n10 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey_id", "key", "week", "value", "slot"],
                name="weeklyproperty_key",
            ),
        ]
        indexes = [models.Index(fields=["project_id", "week"], name="weeklyproperty_project_week")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} week of {self.week} {self.key}={self.value}"
