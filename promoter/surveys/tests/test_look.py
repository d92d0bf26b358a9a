"""The survey's look: its checks, WCAG contrast, and how a project's and a survey's combine."""

from __future__ import annotations

import pytest

from promoter.surveys.look import (
    LOOK_DEFAULTS,
    LookError,
    contrast,
    look_clean,
    look_contrast_problem,
    look_resolve,
)


def test_contrast_is_wcags_ratio():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is the lightest grey that passes AA (4.54:1).
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#ffffff") < 4.5


def test_the_defaults_pass_aa_in_every_theme():
    for theme in ("light", "dark", "auto"):
        assert look_contrast_problem({**LOOK_DEFAULTS, "theme": theme}) is None


@pytest.mark.parametrize(
    ("given", "field", "why"),
    [
        ({"primary_color": "red"}, "primary_color", "#rrggbb"),
        ({"position": "top"}, "position", "bottom-right"),
        ({"theme": "sepia"}, "theme", "light, dark, auto"),
        ({"font": "Papyrus"}, "font", "system"),
        ({"radius": "-1"}, "radius", "0 to 24"),
        ({"radius": "25"}, "radius", "0 to 24"),
        ({"powered_by": "yes"}, "powered_by", "on or off"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url", "https://"),
        ({"logo_url": "https://x.example/a b.png"}, "logo_url", "characters"),
        ({"logo_url": "https://x.example/" + "a" * 500}, "logo_url", "500"),
        ({"colour": "#000000"}, "colour", "not a look setting"),
    ],
)
def test_each_setting_is_checked_naming_its_field(given, field, why):
    with pytest.raises(LookError) as caught:
        look_clean(given)
    assert caught.value.field == field and why in caught.value.message


def test_clean_keeps_what_is_set_and_lowercases_colours():
    assert look_clean({"primary_color": "#0F766E", "radius": "0", "font": "", "theme": None}) == {
        "primary_color": "#0f766e",
        "radius": "0",
    }


def test_a_survey_look_overrides_the_projects_which_overrides_the_defaults():
    look = look_resolve({"primary_color": "#0f766e", "font": "serif"}, {"font": "monospace"})
    assert (look["primary_color"], look["font"], look["radius"]) == ("#0f766e", "monospace", "12")
    assert look_resolve(None, {"unknown": "x", "radius": ""}) == LOOK_DEFAULTS


def test_the_dark_theme_is_checked_only_when_it_may_show():
    dim = {**LOOK_DEFAULTS, "dark_text_color": "#333333"}
    assert look_contrast_problem({**dim, "theme": "light"}) is None
    problem = look_contrast_problem({**dim, "theme": "auto"})
    assert problem is not None and problem.field == "dark_text_color"
    problem = look_contrast_problem(
        {**LOOK_DEFAULTS, "theme": "dark", "dark_primary_color": "#334155"}
    )
    assert problem is not None and problem.field == "dark_primary_color"
