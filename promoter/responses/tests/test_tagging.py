"""Tag services: names, add/remove, bulk, rename, merge, nesting and their roll-up."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from promoter.actions.tags import tags_bulk_add
from promoter.analytics.selectors import ResponseFilter, responses_for, tag_figures
from promoter.core.errors import ApplicationError
from promoter.responses.models import AutoTagRule, Response, ResponseTag, Tag, TagSource
from promoter.responses.selectors import tag_by_name, tags_by_prefix, tags_for_project
from promoter.responses.services import (
    autotag_rule_create,
    response_create,
    response_tag_add,
    response_tag_add_named,
    response_tag_remove,
    tag_get_or_create,
    tag_merge,
    tag_rename,
    tag_set_parent,
)
from promoter.surveys.eligibility import Condition


def nps(project):
    return project.surveys.get(kind="nps")


def answer(project, score, comment="", *, days_ago=1, sentiment=None, **properties):
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=nps(project),
        end_user=None,
        score=score,
        comment=comment,
        now=timezone.now() - datetime.timedelta(days=days_ago),
    )
    updates = {}
    if properties:
        updates["properties"] = properties
    if sentiment is not None:
        updates["sentiment"] = sentiment
    if updates:
        Response.objects.filter(pk=response.pk).update(**updates)
        response.refresh_from_db()
    return response


def tag_names(response):
    return sorted(ResponseTag.objects.filter(response=response).values_list("tag__name", flat=True))


# Names ----------------------------------------------------------------------------------------


def test_pricing_and_pricing_space_are_one_tag(world):
    first = tag_get_or_create(project=world.alpha, name="Pricing")
    assert tag_get_or_create(project=world.alpha, name="pricing ") == first
    assert tag_get_or_create(project=world.alpha, name="  PRICING\t") == first
    assert Tag.objects.filter(project=world.alpha).count() == 1
    assert first.name == "Pricing"  # the first spelling stays


def test_names_are_trimmed_and_inner_whitespace_collapsed(world):
    tag = tag_get_or_create(project=world.alpha, name="  Too \n  expensive  ")
    assert tag.name == "Too expensive"
    assert tag_get_or_create(project=world.alpha, name="too expensive") == tag


def test_case_folding_covers_non_ascii_letters_on_every_database(world):
    tag = tag_get_or_create(project=world.alpha, name="Émail")
    assert tag_get_or_create(project=world.alpha, name="émail") == tag
    assert tag_get_or_create(project=world.alpha, name="ÉMAIL") == tag
    # A decomposed é (e + combining accent) is the same name too.
    assert tag_get_or_create(project=world.alpha, name="e\u0301mail") == tag
    assert Tag.objects.filter(project=world.alpha).count() == 1


def test_the_same_name_in_another_project_is_another_tag(world):
    alpha = tag_get_or_create(project=world.alpha, name="Pricing")
    beta = tag_get_or_create(project=world.beta, name="pricing")
    assert alpha != beta


@pytest.mark.parametrize("name", ["", "   ", "\n\t"])
def test_an_empty_name_is_refused_with_400(world, name):
    with pytest.raises(ApplicationError) as caught:
        tag_get_or_create(project=world.alpha, name=name)
    assert caught.value.status == 400
    assert caught.value.fields == {"name": "required"}


def test_a_name_over_60_characters_is_refused(world):
    assert tag_get_or_create(project=world.alpha, name="x" * 60).name == "x" * 60
    with pytest.raises(ApplicationError) as caught:
        tag_get_or_create(project=world.alpha, name="y" * 61)
    assert caught.value.status == 400


# Autocomplete ---------------------------------------------------------------------------------


def test_prefix_lookup_is_case_insensitive_and_stays_in_its_project(world):
    for name in ("Pricing", "Price increase", "Support", "Onboarding", "Émail", "Prix"):
        tag_get_or_create(project=world.alpha, name=name)
    tag_get_or_create(project=world.beta, name="Private beta")
    found = [t.name for t in tags_by_prefix(project=world.alpha, prefix="PRI")]
    assert found == ["Prix", "Pricing", "Price increase"]  # shortest first
    assert [t.name for t in tags_by_prefix(project=world.alpha, prefix="price")] == [
        "Price increase"
    ]
    assert [t.name for t in tags_by_prefix(project=world.alpha, prefix="é")] == ["Émail"]
    assert [t.name for t in tags_by_prefix(project=world.beta, prefix="pri")] == ["Private beta"]
    assert tags_by_prefix(project=world.alpha, prefix="zz") == []
    assert tags_by_prefix(project=world.alpha, prefix="%") == []  # LIKE wildcards are escaped


def test_an_empty_prefix_suggests_the_most_used_tags(world):
    popular = tag_get_or_create(project=world.alpha, name="Zebra")
    tag_get_or_create(project=world.alpha, name="Alpha")
    for _ in range(3):
        response_tag_add(response=answer(world.alpha, 5), tag=popular)
    assert tags_by_prefix(project=world.alpha, prefix="")[0] == popular


def test_tag_by_name_ignores_case_and_spacing(world):
    tag = tag_get_or_create(project=world.alpha, name="Bugs & reliability")
    assert tag_by_name(project=world.alpha, name=" bugs  &  RELIABILITY ") == tag
    assert tag_by_name(project=world.beta, name="bugs & reliability") is None


# Add and remove -------------------------------------------------------------------------------


def test_adding_and_removing_are_idempotent(world):
    response = answer(world.alpha, 3, "too pricey")
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    assert response_tag_add(response=response, tag=tag, actor=world.member) is True
    assert response_tag_add(response=response, tag=tag, actor=world.member) is False
    assert ResponseTag.objects.filter(response=response).count() == 1
    link = ResponseTag.objects.get(response=response)
    assert (link.source, link.created_by) == (TagSource.MANUAL, world.member)
    assert response_tag_remove(response=response, tag=tag) is True
    assert response_tag_remove(response=response, tag=tag) is False
    assert not ResponseTag.objects.filter(response=response).exists()


def test_add_by_name_reuses_the_existing_tag(world):
    response = answer(world.alpha, 3)
    existing = tag_get_or_create(project=world.alpha, name="Pricing")
    assert response_tag_add_named(response=response, name="pricing ") == (existing, True)
    assert response_tag_add_named(response=response, name="PRICING") == (existing, False)
    assert tag_names(response) == ["Pricing"]


def test_a_tag_of_another_project_cannot_be_attached(world):
    response = answer(world.alpha, 3)
    foreign = tag_get_or_create(project=world.beta, name="Pricing")
    with pytest.raises(ApplicationError) as caught:
        response_tag_add(response=response, tag=foreign)
    assert caught.value.status == 404
    assert not ResponseTag.objects.exists()


# Bulk -----------------------------------------------------------------------------------------


def test_bulk_add_tags_exactly_the_responses_of_a_filtered_view(world):
    for score, plan in [(2, "pro"), (3, "pro"), (9, "pro"), (1, "free"), (5, "pro")]:
        answer(world.alpha, score, "comment", plan=plan)
    answer(world.alpha, 0, "too old", days_ago=120, plan="pro")
    now = timezone.now()
    flt = ResponseFilter(
        survey=nps(world.alpha),
        since=now - datetime.timedelta(days=90),
        until=now,
        conditions=(Condition("plan", "eq", "pro"),),
        categories=("detractor",),
    )
    expected = set(responses_for(project=world.alpha, flt=flt).values_list("pk", flat=True))
    assert len(expected) == 3
    tag = tag_get_or_create(project=world.alpha, name="Pro detractors")
    response_tag_add(response=Response.objects.get(pk=min(expected)), tag=tag)
    added = tags_bulk_add(project=world.alpha, flt=flt, tag=tag, actor=world.member)
    assert added == 2  # one already carried it
    tagged = set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True))
    assert tagged == expected
    assert tags_bulk_add(project=world.alpha, flt=flt, tag=tag, actor=world.member) == 0


def test_bulk_add_over_several_batches(world, monkeypatch):
    from promoter.responses import services

    monkeypatch.setattr(services, "BULK_BATCH_SIZE", 3)
    responses = [answer(world.alpha, 5) for _ in range(8)]
    tag = tag_get_or_create(project=world.alpha, name="Everyone")
    flt = ResponseFilter(survey=nps(world.alpha))
    assert tags_bulk_add(project=world.alpha, flt=flt, tag=tag, actor=None) == 8
    assert ResponseTag.objects.filter(tag=tag).count() == len(responses)


# Rename, merge, nesting -----------------------------------------------------------------------


def test_rename_refuses_a_name_another_tag_has(world):
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    support = tag_get_or_create(project=world.alpha, name="Support")
    with pytest.raises(ApplicationError) as caught:
        tag_rename(tag=support, name=" pricing")
    assert caught.value.status == 409
    assert tag_rename(tag=pricing, name="PRICING").name == "PRICING"  # its own name, new case
    assert tag_rename(tag=support, name="Customer  support").name == "Customer support"
    support.refresh_from_db()
    assert support.name == "Customer support"


def test_merge_moves_links_without_duplicates_children_and_rules(world):
    source = tag_get_or_create(project=world.alpha, name="Price")
    target = tag_get_or_create(project=world.alpha, name="Pricing")
    child = tag_get_or_create(project=world.alpha, name="Discounts")
    tag_set_parent(tag=child, parent=source)
    only_source, both, only_target = (
        answer(world.alpha, 2),
        answer(world.alpha, 3),
        answer(world.alpha, 9),
    )
    response_tag_add(response=only_source, tag=source, actor=world.member)
    response_tag_add(response=both, tag=source)
    response_tag_add(response=both, tag=target)
    response_tag_add(response=only_target, tag=target)
    rule = autotag_rule_create(project=world.alpha, tag=source, phrases=["price"])

    assert tag_merge(source=source, target=target) == target

    assert not Tag.objects.filter(pk=source.pk).exists()
    for response in (only_source, both, only_target):
        assert tag_names(response) == ["Pricing"]
    moved = ResponseTag.objects.get(response=only_source)
    assert moved.created_by == world.member  # who tagged it is kept
    child.refresh_from_db()
    rule.refresh_from_db()
    assert child.parent == target
    assert rule.tag == target


def test_merging_a_parent_into_its_child_keeps_one_level(world):
    parent = tag_get_or_create(project=world.alpha, name="Pricing")
    child = tag_get_or_create(project=world.alpha, name="Too expensive")
    sibling = tag_get_or_create(project=world.alpha, name="Discounts")
    tag_set_parent(tag=child, parent=parent)
    tag_set_parent(tag=sibling, parent=parent)
    tag_merge(source=parent, target=child)
    child.refresh_from_db()
    sibling.refresh_from_db()
    assert child.parent is None
    assert sibling.parent == child


def test_merging_into_a_child_gives_the_children_to_its_parent(world):
    billing = tag_get_or_create(project=world.alpha, name="Billing")
    invoices = tag_get_or_create(project=world.alpha, name="Invoices")
    tag_set_parent(tag=invoices, parent=billing)
    old = tag_get_or_create(project=world.alpha, name="Old billing")
    under_old = tag_get_or_create(project=world.alpha, name="VAT")
    tag_set_parent(tag=under_old, parent=old)
    tag_merge(source=old, target=invoices)
    under_old.refresh_from_db()
    assert under_old.parent == billing


def test_merge_refuses_itself_and_other_projects(world):
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    foreign = tag_get_or_create(project=world.beta, name="Pricing")
    with pytest.raises(ApplicationError):
        tag_merge(source=tag, target=tag)
    with pytest.raises(ApplicationError) as caught:
        tag_merge(source=tag, target=foreign)
    assert caught.value.status == 404
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_nesting_has_no_cycles_and_one_level(world):
    a = tag_get_or_create(project=world.alpha, name="A")
    b = tag_get_or_create(project=world.alpha, name="B")
    c = tag_get_or_create(project=world.alpha, name="C")
    with pytest.raises(ApplicationError):
        tag_set_parent(tag=a, parent=a)
    tag_set_parent(tag=b, parent=a)
    with pytest.raises(ApplicationError):
        tag_set_parent(tag=a, parent=b)  # would be a cycle
    with pytest.raises(ApplicationError):
        tag_set_parent(tag=c, parent=b)  # b is a child
    with pytest.raises(ApplicationError):
        tag_set_parent(tag=a, parent=c)  # a has children
    tag_set_parent(tag=b, parent=None)
    tag_set_parent(tag=a, parent=c)
    a.refresh_from_db()
    assert a.parent == c
    assert [t.name for t in tags_for_project(project=world.alpha)] == ["B", "C", "A"]


def test_a_parent_rolls_up_its_childrens_responses_once_each(world):
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    expensive = tag_get_or_create(project=world.alpha, name="Too expensive")
    discounts = tag_get_or_create(project=world.alpha, name="Discounts")
    other = tag_get_or_create(project=world.alpha, name="Support")
    for child in (expensive, discounts):
        tag_set_parent(tag=child, parent=pricing)
    r1 = answer(world.alpha, 2, "way too expensive", sentiment=-0.8)
    r2 = answer(world.alpha, 9, "", sentiment=None)
    r3 = answer(world.alpha, 10, "great discounts", sentiment=0.6)
    r4 = answer(world.alpha, 5, "support was slow", sentiment=-0.2)
    response_tag_add(response=r1, tag=pricing)
    response_tag_add(response=r1, tag=expensive)  # parent and child: counted once
    response_tag_add(response=r1, tag=discounts)
    response_tag_add(response=r2, tag=expensive)
    response_tag_add(response=r3, tag=discounts)
    response_tag_add(response=r4, tag=other)

    figures = tag_figures(project=world.alpha, flt=ResponseFilter(survey=nps(world.alpha)))

    rolled = figures[pricing.pk]
    assert rolled.n == 3  # r1, r2, r3
    assert rolled.bins[2] == rolled.bins[9] == rolled.bins[10] == 1
    assert rolled.commented == 2
    assert rolled.sentiment == pytest.approx((-0.8 + 0.6) / 2)
    assert figures[expensive.pk].n == 2
    assert figures[expensive.pk].sentiment == pytest.approx(-0.8)
    assert figures[discounts.pk].n == 2
    assert figures[other.pk].n == 1
    assert figures[other.pk].commented == 1


def test_tag_figures_count_each_bucket_with_the_roll_up(world):
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    expensive = tag_get_or_create(project=world.alpha, name="Too expensive")
    tag_set_parent(tag=expensive, parent=pricing)
    today, ten_days_ago = answer(world.alpha, 2, days_ago=0), answer(world.alpha, 3, days_ago=10)
    for response in (today, ten_days_ago):
        response_tag_add(response=response, tag=pricing)
        response_tag_add(response=response, tag=expensive)
    now = timezone.now()
    flt = ResponseFilter(
        survey=nps(world.alpha), since=now - datetime.timedelta(days=30), until=now
    )
    figures = tag_figures(project=world.alpha, flt=flt, bucket="day")
    days = {today.created_at.date(): 1, ten_days_ago.created_at.date(): 1}
    assert figures[pricing.pk].by_period == days  # each response once in its parent's count
    assert figures[expensive.pk].by_period == days
    assert tag_figures(project=world.alpha, flt=flt)[pricing.pk].by_period == {}
    with pytest.raises(ValueError):
        tag_figures(project=world.alpha, flt=flt, bucket="hour")


def test_tag_figures_use_one_query(world, django_assert_num_queries):
    tags = [tag_get_or_create(project=world.alpha, name=f"T{i}") for i in range(6)]
    for i, tag in enumerate(tags[1:]):
        if i % 2:
            tag_set_parent(tag=tag, parent=tags[0])
        response_tag_add(response=answer(world.alpha, i), tag=tag)
    flt = ResponseFilter(survey=nps(world.alpha))
    with django_assert_num_queries(1):
        figures = tag_figures(project=world.alpha, flt=flt)
    assert figures[tags[0].pk].n == 2  # its two children's responses


def test_deleting_a_rule_or_merging_never_touches_other_projects(world):
    alpha_tag = tag_get_or_create(project=world.alpha, name="Pricing")
    beta_tag = tag_get_or_create(project=world.beta, name="Pricing")
    autotag_rule_create(project=world.beta, tag=beta_tag, phrases=["price"])
    other = tag_get_or_create(project=world.alpha, name="Price")
    tag_merge(source=other, target=alpha_tag)
    assert AutoTagRule.objects.get(project=world.beta).tag == beta_tag
