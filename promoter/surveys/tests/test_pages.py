"""Page targeting decided at its boundaries: what a path is, each operator's edge, include and
exclude together, the unknown page, and the dashboard's lines read back as they were."""

from __future__ import annotations

import datetime

import pytest

from promoter.surveys.eligibility import Person, Rules, evaluate
from promoter.surveys.pages import (
    MAX_PATTERN,
    MAX_RULES,
    PageRule,
    Pages,
    page_check,
    pages_from,
    parse_line,
    parse_lines,
    path_of,
    render_line,
)

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://app.example.com/billing", "/billing"),
        ("https://app.example.com/billing/", "/billing"),  # a trailing / is the same page
        ("https://app.example.com/billing//", "/billing"),
        ("https://app.example.com/", "/"),
        ("https://app.example.com", "/"),
        ("https://app.example.com/billing?tab=invoices#top", "/billing"),  # path only
        ("https://app.example.com/caf%C3%A9", "/café"),  # percent-decoded
        ("https://app.example.com/Billing", "/Billing"),  # paths are case-sensitive
        ("/billing", "/billing"),
        ("billing", "/billing"),
        ("", None),
        ("   ", None),
        ("about:blank", None),
        ("myapp://screen/billing", None),
        ("http://[::1", None),  # not an address
    ],
)
def test_the_path_of_a_page(url, path):
    assert path_of(url) == path


# (rule, path, holds)
BOUNDARIES = [
    (PageRule("equals", "/billing"), "/billing", True),
    (PageRule("equals", "/billing/"), "/billing", True),
    (PageRule("equals", "/billing"), "/billing/invoices", False),
    (PageRule("equals", "/billing"), "/billingx", False),
    (PageRule("equals", "/billing"), "/Billing", False),
    (PageRule("equals", "/"), "/", True),
    (PageRule("equals", "/caf%C3%A9"), "/café", True),
    (PageRule("contains", "bill"), "/billing", True),
    (PageRule("contains", "/billing"), "/billing", True),
    (PageRule("contains", "/billing/"), "/billing", False),  # the trailing / was dropped
    (PageRule("contains", "invoice"), "/billing", False),
    (PageRule("matches", "/billing/*"), "/billing/invoices", True),
    (PageRule("matches", "/billing/*"), "/billing/a/b/c", True),  # * crosses /
    (PageRule("matches", "/billing/*"), "/billing", False),  # "/billing/" is "/billing"
    (PageRule("matches", "/billing*"), "/billing", True),  # * may stand for nothing
    (PageRule("matches", "/billing*"), "/billingx", True),
    (PageRule("matches", "/projects/*/settings"), "/projects/42/settings", True),
    (PageRule("matches", "/projects/*/settings"), "/projects/42/settings/team", False),
    (PageRule("matches", "/projects/*/settings"), "/projects/settings", False),
    (PageRule("matches", "*/edit"), "/docs/7/edit", True),
    (PageRule("matches", "/a.b"), "/aXb", False),  # only * is special
    (PageRule("matches", "/a[1]"), "/a[1]", True),
    (PageRule("matches", "/*"), "/", True),  # "/*" is every page, the root too
    (PageRule("matches", "*"), "/", True),
]


@pytest.mark.parametrize(("rule", "path", "holds"), BOUNDARIES)
def test_each_operator_at_its_boundary(rule, path, holds):
    assert rule.holds(path) is holds


def check(pages: Pages, url: str) -> bool:
    return page_check(pages, url)[0]


def test_no_rule_is_every_page_even_an_unknown_one():
    assert page_check(Pages(), "") == (True, "no page conditions")
    assert check(Pages(), "https://x.test/anything")


def test_an_include_list_needs_one_rule_to_hold():
    pages = Pages(include=(PageRule("equals", "/billing"), PageRule("matches", "/plans/*")))
    assert check(pages, "https://x.test/billing")
    assert check(pages, "https://x.test/plans/pro")
    ok, why = page_check(pages, "https://x.test/settings")
    assert not ok
    assert why == "on /settings: not one of the survey's pages (equals /billing; matches /plans/*)"


def test_an_exclude_rule_wins_over_every_include_rule():
    pages = Pages(
        include=(PageRule("matches", "/billing*"),),
        exclude=(PageRule("equals", "/billing/cancel"),),
    )
    assert check(pages, "https://x.test/billing/invoices")
    ok, why = page_check(pages, "https://x.test/billing/cancel/")
    assert not ok
    assert why == "on /billing/cancel: excluded by “equals /billing/cancel”"


def test_an_exclude_list_alone_lets_every_other_page_through():
    pages = Pages(exclude=(PageRule("contains", "checkout"),))
    assert page_check(pages, "https://x.test/home") == (True, "on /home: not excluded")
    assert not check(pages, "https://x.test/cart/checkout")


def test_an_unknown_page_passes_only_a_survey_that_names_no_page():
    assert not check(Pages(include=(PageRule("equals", "/billing"),)), "")
    assert check(Pages(exclude=(PageRule("equals", "/billing"),)), "")


def test_the_rule_is_named_page_and_comes_right_after_targeting():
    rules = Rules(pages=Pages(include=(PageRule("equals", "/billing"),)))
    verdict = evaluate(rules=rules, person=Person(key="u"), now=NOW, url="https://x.test/home")
    assert verdict.reason == "page"
    assert [c.rule for c in verdict.checks][:3] == ["disabled", "targeting", "page"]
    assert verdict.next_eligible_at is None  # not time-bound: no date to wait for
    on_page = evaluate(rules=rules, person=Person(key="u"), now=NOW, url="https://x.test/billing")
    assert on_page.eligible


def test_pages_do_not_apply_outside_the_app():
    rules = Rules(
        channels=("web", "email", "link"), pages=Pages(include=(PageRule("equals", "/billing"),))
    )
    for channel in ("email", "link"):
        verdict = evaluate(rules=rules, person=Person(key="u"), now=NOW, channel=channel)
        assert verdict.eligible, channel
        assert verdict.checks[2].detail == f"pages of the app do not apply to {channel}"


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("/billing", PageRule("equals", "/billing")),
        ("/projects/*/settings", PageRule("matches", "/projects/*/settings")),
        ("contains /docs", PageRule("contains", "/docs")),
        ("contains docs", PageRule("contains", "docs")),
        ("equals /a*b", PageRule("equals", "/a*b")),
        ("matches /billing", PageRule("matches", "/billing")),
        ("https://app.example.com/billing", PageRule("equals", "/billing")),
        ("HTTPS://app.example.com", PageRule("equals", "/")),
        ("  /billing  ", PageRule("equals", "/billing")),
    ],
)
def test_a_line_says_its_rule_and_reads_back_as_it(line, rule):
    assert parse_line(line) == rule
    assert parse_line(render_line(rule)) == rule


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("billing", "a path starts with /"),
        ("/billing?tab=1", "leave out the ?query"),
        ("/billing#top", "the #fragment"),
        ("https://app.example.com/billing?tab=1", "leave out the ?query"),
        ("contains", "a rule needs a path"),
        ("/" + "a" * MAX_PATTERN, f"at most {MAX_PATTERN} characters"),
    ],
)
def test_a_bad_line_says_what_is_wrong(line, problem):
    with pytest.raises(ValueError, match=problem.replace("?", r"\?")):
        parse_line(line)


def test_lines_name_the_bad_one_and_are_bounded():
    with pytest.raises(ValueError, match=r"^Line 3 \('billing'\): a path starts with /"):
        parse_lines("/home\n# a comment\nbilling")
    assert len(parse_lines("\n".join(f"/p{i}" for i in range(MAX_RULES)))) == MAX_RULES
    with pytest.raises(ValueError, match=f"At most {MAX_RULES} rules"):
        parse_lines("\n".join(f"/p{i}" for i in range(MAX_RULES + 1)))


def test_stored_pages_read_back_and_bad_entries_are_left_out():
    pages = Pages(include=(PageRule("equals", "/a"),), exclude=(PageRule("contains", "b"),))
    assert pages_from(pages.as_data()) == pages
    assert pages_from({}) == Pages()
    assert pages_from(None) == Pages()
    assert pages_from({"include": [{"op": "is", "value": "/a"}, "x", {"op": "equals"}]}) == Pages()
    assert Pages().as_data() == {}
