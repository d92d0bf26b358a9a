"""Top reasons: themes and tags per category, with impact figures a hand count confirms."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from promoter.analytics import metrics
from promoter.demo.seed import seed_project
from promoter.responses.models import Response, ResponseTag, Tag


@pytest.fixture
def seeded(world):
    cache.clear()
    seed_project(project=world.alpha, responses=900, seed=5, until=timezone.now())
    return world


def test_top_reasons_lists_themes_and_tags_with_impact(seeded):
    survey = seeded.alpha.surveys.get(kind="nps")
    recent = Response.objects.filter(
        survey=survey, created_at__gte=timezone.now() - timezone.timedelta(days=90)
    )
    detractors = [r for r in recent if r.score <= 6][:7]
    tag = Tag.objects.create(project=seeded.alpha, name="Slow exports")
    ResponseTag.objects.bulk_create([ResponseTag(response=r, tag=tag) for r in detractors])
    page = seeded.client_for("viewer").get(reverse("project-reasons", args=["alpha"]))
    assert page.status_code == 200
    sections = {s["category"]: s for s in page.context["sections"]}
    assert sections["promoter"]["themes"] and sections["detractor"]["themes"]
    for theme in sections["detractor"]["themes"]:
        assert theme.impact is not None and theme.impact > 0
    tagged = next(r for r in sections["detractor"]["tags"] if r.name == "Slow exports")
    n = recent.count()
    assert tagged.count == 7
    assert tagged.impact == pytest.approx(100 * 7 / n)
    assert tagged.impact == pytest.approx(
        metrics.key_driver_impact([recent.filter(score=s).count() for s in range(11)], 7)
    )
    html = page.content.decode()
    assert "Why promoters recommend us" in html and "Why detractors do not" in html
    assert "impact" in html


def test_an_admin_turns_a_theme_into_a_tag_with_a_backfilled_rule(
    seeded, django_capture_on_commit_callbacks
):
    from promoter.responses.models import AutoTagRule
    from promoter.responses.services import rule_backfill

    page = seeded.client_for("owner").get(reverse("project-reasons", args=["alpha"]))
    theme = page.context["sections"][1]["themes"][0]
    assert 'data-theme-to-tag="' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        reply = seeded.client_for("owner").post(
            reverse("project-theme-to-tag", args=["alpha"]),
            {"name": theme.name, "phrase": list(theme.variants), "next": "/p/alpha/reasons/"},
        )
    assert reply.status_code == 302
    rule = AutoTagRule.objects.get(project=seeded.alpha, tag__name__iexact=theme.name)
    rule_backfill(rule=rule)
    tagged = Response.objects.filter(response_tags__tag=rule.tag).count()
    assert tagged >= theme.count  # the theme's comments, and the same phrases elsewhere
    viewer_page = seeded.client_for("viewer").get(reverse("project-reasons", args=["alpha"]))
    assert 'data-theme-to-tag="' not in viewer_page.content.decode()
