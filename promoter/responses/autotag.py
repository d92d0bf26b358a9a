"""Match comments against auto-tag rule phrases: case-insensitive, at word boundaries, any script.

Pure functions, no Django: a rule's phrases compile to one regular expression, used alike for a
new response and for the back-fill over history, so both tag exactly the same responses.

- Text and phrases are compared after Unicode normalization (NFKC) and case folding, so
  "PRÉCIS" matches "précis", a decomposed "é" matches a composed one and "STRASSE" matches
  "Straße". Accents stay significant: "precis" does not match "précis".
- A phrase matches whole words: "preis" matches "Der Preis ist hoch" but not "Preisliste"; a
  trailing ``*`` makes the last word a prefix ("preis*" matches "Preisliste"). Spaces inside a
  phrase match any run of whitespace.
- Scripts written without spaces between words (Chinese, Japanese, Thai, …) have no word
  boundaries to check, so a phrase in them matches anywhere.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

PHRASE_MAX_CHARS = 100
PHRASES_MAX = 50

# Scripts whose words are not separated by spaces: a boundary check would never match inside
# a sentence.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "HANGUL", "TIBETAN")


def fold(text: str) -> str:
    """Return ``text`` normalized for case-insensitive comparison in any script."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())


def phrases_clean(phrases: Iterable[str]) -> list[str]:
    """Return ``phrases`` stripped, with inner whitespace collapsed, without empty ones and
    without duplicates (compared folded), in their first-seen order."""
    seen: set[str] = set()
    result = []
    for phrase in phrases:
        cleaned = " ".join(str(phrase).split())
        if cleaned.endswith("*"):
            cleaned = cleaned.rstrip("*").rstrip() + "*"
        if not cleaned.rstrip("*"):
            continue
        key = fold(cleaned)
        if key in seen:
            continue
        seen.add(key)
        result.append(cleaned)
    return result


def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_UNSPACED)


def _word_char(char: str) -> bool:
    return bool(re.match(r"\w", char))


def _pattern(phrase: str) -> str:
    prefix = phrase.endswith("*")
    folded = fold(phrase.rstrip("*").strip())
    body = r"\s+".join(re.escape(word) for word in folded.split())
    first, last = folded[0], folded[-1]
    # Only a word character next to another word character breaks a word; a phrase that starts
    # or ends with punctuation ("c++", "#1") needs no boundary on that side.
    before = r"(?<!\w)" if _word_char(first) and not _unspaced(first) else ""
    after = r"(?!\w)" if _word_char(last) and not _unspaced(last) and not prefix else ""
    return before + body + after


@functools.lru_cache(maxsize=512)
def _compiled(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = [_pattern(p) for p in phrases_clean(phrases)]
    if not parts:
        return None
    return re.compile("|".join(f"(?:{part})" for part in parts))


def comment_matches(phrases: Sequence[str], comment: str) -> bool:
    """Return whether ``comment`` contains one of ``phrases`` (see the module docstring)."""
    pattern = _compiled(tuple(phrases))
    if pattern is None or not comment:
        return False
    return pattern.search(fold(comment)) is not None


def rule_matches(
    *,
    phrases: Sequence[str],
    score_min: int | None,
    score_max: int | None,
    score: int,
    comment: str,
) -> bool:
    """Return whether a response with ``score`` and ``comment`` meets every set condition.

    A rule with neither phrases nor a score bound matches nothing.
    """
    if not phrases and score_min is None and score_max is None:
        return False
    if score_min is not None and score < score_min:
        return False
    if score_max is not None and score > score_max:
        return False
    return not phrases or comment_matches(phrases, comment)
