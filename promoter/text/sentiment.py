"""Sentiment of a comment, from -1 (negative) to +1 (positive), computed offline.

VADER (``vaderSentiment``) scores text with a lexicon it ships inside its package
(``vader_lexicon.txt``) and a few rules (negation, "but", intensifiers, punctuation, emoji):
no model, no download, no network. Its lexicon comes from social media, so a short domain
lexicon below corrects it for software feedback: "slow", "buggy", "outage" or "overpriced" are
complaints there and unknown to VADER, while "support" and "free" are mostly topics ("the
support team", "the free plan") that VADER would count as praise. A few common French, German
and Spanish feedback words are added the same way; VADER's rules stay English.

Long comments are scored by chunks of about ``_CHUNK_WORDS`` words, averaged by length,
because VADER's cost grows with the square of a text's length.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["SENTIMENTS", "sentiment_for", "sentiment_label", "sentiment_many"]

# VADER's own convention: a compound score within ±0.05 of zero is neutral.
NEUTRAL_BAND = 0.05
SENTIMENTS = ("positive", "neutral", "negative")

# Valences on VADER's scale (-4 to +4; its own entries are averages of human ratings).
# fmt: off
DOMAIN_LEXICON: dict[str, float] = {
    # Topics that VADER reads as praise.
    "support": 0.0, "free": 0.4,
    # Complaints about software.
    "slow": -1.5, "slower": -1.5, "slowness": -1.8, "slowly": -1.0, "laggy": -1.8,
    "buggy": -2.0, "bug": -1.2, "bugs": -1.5, "glitch": -1.5, "glitches": -1.5,
    "glitchy": -1.8, "crashes": -1.8, "crashed": -1.8, "crashing": -1.8, "outage": -1.8,
    "outages": -1.8, "downtime": -1.6, "unreliable": -2.0, "unusable": -2.5, "flaky": -1.5,
    "expensive": -1.2, "overpriced": -2.0, "pricey": -1.2, "overcharged": -2.0,
    "clunky": -1.6, "cluttered": -1.3, "convoluted": -1.5, "cumbersome": -1.5,
    "tedious": -1.5, "complicated": -1.2, "freezes": -1.5, "freeze": -1.2, "frozen": -1.2,
    "timeout": -1.2, "timeouts": -1.2, "unresponsive": -1.8, "outdated": -1.2,
    "spammy": -1.5, "nightmare": -2.5, "unhelpful": -1.8, "unanswered": -1.5,
    "lacks": -1.0, "lacking": -1.2, "dismissive": -1.5, "corrupts": -2.0,
    "corrupted": -2.0, "hassle": -1.5, "headache": -1.5, "stale": -1.0,
    # Praise of software.
    "fast": 1.3, "faster": 1.3, "snappy": 1.8, "speedy": 1.5, "quick": 1.0, "reliable": 1.8,
    "intuitive": 1.8, "seamless": 1.8, "seamlessly": 1.8, "smooth": 1.5, "smoothly": 1.5,
    "affordable": 1.3, "user-friendly": 1.8, "straightforward": 1.3, "timely": 1.0,
    "productive": 1.5, "handy": 1.3, "promptly": 1.2,
    # French.
    "génial": 2.5, "parfait": 2.5, "pratique": 1.5, "rapide": 1.3, "fiable": 1.8,
    "efficace": 1.8, "réactif": 1.8, "aimable": 1.5, "décevant": -2.0, "déçu": -2.0,
    "inutilisable": -2.5, "lenteur": -1.5, "lenteurs": -1.5, "panne": -1.8,
    "inacceptable": -2.5, "cher": -1.0,
    # German.
    "schnell": 1.3, "zuverlässig": 1.8, "praktisch": 1.5, "hilfreich": 1.8,
    "freundlich": 1.8, "übersichtlich": 1.3, "stabil": 1.2, "nützlich": 1.8, "toll": 2.0,
    "langsam": -1.5, "teuer": -1.2, "enttäuschend": -2.0, "enttäuscht": -2.0,
    "umständlich": -1.5, "unübersichtlich": -1.5, "schlecht": -2.0, "fehler": -1.3,
    "absturz": -2.0, "abstürze": -2.0, "ausfall": -1.8,
    # Spanish.
    "excelente": 2.5, "útil": 1.8, "rápido": 1.3, "rápida": 1.3, "encanta": 2.5,
    "fácil": 1.5, "amable": 1.5, "estable": 1.2, "práctica": 1.5, "práctico": 1.5,
    "lento": -1.5, "lenta": -1.5, "caro": -1.2, "decepcionante": -2.0, "confusa": -1.3,
    "confuso": -1.3, "errores": -1.3,
}
# fmt: on

_CHUNK_WORDS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """Return this process's analyzer: VADER's packaged lexicon plus ``DOMAIN_LEXICON``."""
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


def _chunks(text: str) -> list[str]:
    """Split ``text`` into runs of whole sentences of at most about ``_CHUNK_WORDS`` words."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        while len(words) > _CHUNK_WORDS:  # one very long sentence: cut it
            chunks.append(" ".join(words[:_CHUNK_WORDS]))
            words = words[_CHUNK_WORDS:]
        if size + len(words) > _CHUNK_WORDS and current:
            chunks.append(" ".join(current))
            current, size = [], 0
        current += words
        size += len(words)
    if current:
        chunks.append(" ".join(current))
    return chunks


def sentiment_for(text: str) -> float | None:
    """Return the sentiment of ``text`` from -1.0 (negative) to +1.0 (positive).

    ``None`` for an empty or blank text; 0.0 for a text with no sentiment-bearing word
    (including most text in languages other than English, French, German and Spanish).
    Deterministic and offline.
    """
    if not text or not text.strip():
        return None
    analyzer = _analyzer()
    if len(text.split()) <= _CHUNK_WORDS:
        return float(analyzer.polarity_scores(text)["compound"])
    total = weight = 0.0
    for chunk in _chunks(text):
        n = len(chunk.split())
        total += n * analyzer.polarity_scores(chunk)["compound"]
        weight += n
    return round(total / weight, 4)


def sentiment_many(texts: Iterable[str]) -> list[float | None]:
    """Return ``sentiment_for`` of each text, in order; repeated texts are scored once."""
    seen: dict[str, float | None] = {}
    out: list[float | None] = []
    for text in texts:
        if text not in seen:
            seen[text] = sentiment_for(text)
        out.append(seen[text])
    return out


def sentiment_label(value: float | None) -> str | None:
    """Return "positive", "neutral" or "negative" for a sentiment (None for no comment)."""
    if value is None:
        return None
    if value >= NEUTRAL_BAND:
        return "positive"
    if value <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"
