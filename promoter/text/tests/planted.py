"""Comments written the way the demo seed writes them, each with the themes the seed planted.

The seed (``promoter/demo/seed.py``) draws a year of answers and, for each one that has a
comment, picks its themes and tone and asks ``seed_comments.comment_compose`` for the text; it
keeps the text and drops the themes. This adapter runs the seed's own drawing functions
(``_timeline``, ``_people``, ``_answers``) with its ``_comment`` wrapped, so it sees every
(comment, planted themes) pair the seed produces, in the seed's order, without touching the
database or the seed. Used by the theme tests and ``bench/text.py``.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any
from unittest import mock

from promoter.demo import seed as demo_seed
from promoter.text.themes import Theme

# A fixed end of the seeded year so the comments do not depend on today's date.
UNTIL = datetime.datetime(2026, 6, 30, 12, 0, tzinfo=datetime.UTC)
# Share of the seed's answers that carry a comment (about 0.66); used to size the draw.
_COMMENT_SHARE = 0.6
# Share of a discovered theme's comments that must carry its planted theme for a match.
PURE = 0.6


def planted_comments(count: int, *, seed: int = 42) -> list[tuple[str, tuple[str, ...]]]:
    """Return ``count`` (comment, planted themes) pairs as ``seed_project(seed=seed)`` draws them.

    The first planted theme leads the comment; a second one, when present, is also talked
    about. Short comments ("Love it", "Too expensive") keep the themes the seed drew even when
    the words do not say them, as in the seed. Deterministic for the same ``count`` and ``seed``.
    """
    responses = max(50, int(count / _COMMENT_SHARE) + 50)
    pairs: list[tuple[str, tuple[str, ...]]] = []
    original = demo_seed._comment

    def recording(**kwargs):  # type: ignore[no-untyped-def]
        text, themes = original(**kwargs)
        if text:
            pairs.append((text, tuple(themes)))
        return text, themes

    rng = random.Random(seed)
    timeline = demo_seed._timeline(rng=rng, until=UNTIL, tz=datetime.UTC)
    people = demo_seed._people(rng=rng, timeline=timeline, count=max(50, round(responses / 2.5)))
    with mock.patch.object(demo_seed, "_comment", recording):
        demo_seed._answers(rng=rng, timeline=timeline, people=people, count=responses)
    if len(pairs) < count:
        raise RuntimeError(f"the seed drew {len(pairs)} comments, fewer than {count}")
    return pairs[:count]


def theme_recovery(
    themes: list[Theme], planted: dict[Any, tuple[str, ...]]
) -> tuple[float, float, list[tuple[Theme, str, float]]]:
    """Return (precision, recall, [(theme, majority planted theme, purity)]).

    Each discovered theme is matched to the planted theme that most of its comments carry (a
    comment carries the one or two themes the seed drew for it). Precision: the share of
    discovered themes whose majority planted theme is at least ``PURE`` pure and not already
    claimed by a bigger discovered theme. Recall: the share of planted themes so claimed.
    """
    claimed: set[str] = set()
    rows = []
    for theme in sorted(themes, key=lambda t: -t.size):
        counts = Counter(p for i in theme.comment_ids for p in planted[i])
        majority, n = min(counts.items(), key=lambda item: (-item[1], item[0]))
        purity = n / theme.size
        if purity >= PURE and majority not in claimed:
            claimed.add(majority)
        rows.append((theme, majority, purity))
    present = {p for themes_ in planted.values() for p in themes_}
    precision = len(claimed) / len(themes) if themes else 0.0
    return precision, len(claimed) / len(present), rows
