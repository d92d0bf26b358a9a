"""Sentiment: the sign is right on clearly positive and negative feedback, offline, fast."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import vaderSentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from promoter.text import sentiment
from promoter.text.sentiment import sentiment_for, sentiment_many
from promoter.text.tests.labelled_comments import NEGATIVE, POSITIVE

LABELLED = [(text, 1) for text in POSITIVE] + [(text, -1) for text in NEGATIVE]


def _accuracy(score: Callable[[str], float | None]) -> float:
    right = sum(1 for text, sign in LABELLED if (score(text) or 0.0) * sign > 0)
    return right / len(LABELLED)


def test_labelled_set_is_big_and_distinct():
    assert len(POSITIVE) >= 100
    assert len(NEGATIVE) >= 100
    assert len({text for text, _ in LABELLED}) == len(LABELLED)


def test_sign_accuracy_on_labelled_comments():
    accuracy = _accuracy(sentiment_for)
    plain = SentimentIntensityAnalyzer()
    baseline = _accuracy(lambda text: plain.polarity_scores(text)["compound"])
    print(
        f"\nsentiment sign accuracy on {len(LABELLED)} labelled comments: {accuracy:.3f}"
        f" (VADER without the domain lexicon: {baseline:.3f})"
    )
    assert accuracy >= 0.85
    assert accuracy >= baseline


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_empty_text_has_no_sentiment(text):
    assert sentiment_for(text) is None


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("not bad", 1),
        ("It never fails us.", 1),
        ("No complaints, it just works.", 1),
        ("not good", -1),
        ("Not worth the money.", -1),
        ("The app is slow and buggy.", -1),
        ("Support is fast and friendly.", 1),
        ("Trop cher et très décevant.", -1),
        ("Sehr hilfreich und zuverlässig.", 1),
    ],
)
def test_negation_and_domain_words(text, sign):
    assert sentiment_for(text) * sign > 0


def test_topic_words_are_not_praise():
    # VADER alone rates "support" +1.7 and "free" +2.3: the support team and the free plan
    # are what a comment is about, not how it feels.
    assert sentiment_for("Support") == 0.0
    assert sentiment_for("The free plan") < 0.2
    assert sentiment_for("Support never answered and the free plan is too limited.") < 0


def test_scores_stay_within_bounds():
    for text, _ in LABELLED:
        assert -1.0 <= sentiment_for(text) <= 1.0


def test_long_comment_is_scored_by_chunks_in_linear_time():
    sentence = "The support team is wonderful and the reports are clear. "
    long_text = sentence * 600  # 6,000 words: VADER alone would take seconds
    started = time.perf_counter()
    score = sentiment_for(long_text)
    assert time.perf_counter() - started < 2.0
    assert score is not None
    assert score > 0.5
    mixed = "Slow, buggy and frustrating. " * 200 + "Great. " * 10
    assert sentiment_for(mixed) < 0


def test_sentiment_many_keeps_order_and_scores_repeats_once(monkeypatch):
    calls = []
    real = sentiment.sentiment_for
    monkeypatch.setattr(sentiment, "sentiment_for", lambda t: calls.append(t) or real(t))
    texts = ["Love it", "", "Too slow", "Love it"]
    scores = sentiment_many(texts)
    assert scores[1] is None
    assert scores[0] == scores[3] > 0
    assert scores[2] < 0
    assert calls == ["Love it", "", "Too slow"]


def test_works_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sentiment tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    sentiment._analyzer.cache_clear()
    try:
        assert sentiment_for("Great product, terrible billing.") is not None
    finally:
        sentiment._analyzer.cache_clear()
    package = Path(vaderSentiment.__file__).parent
    assert (package / "vader_lexicon.txt").stat().st_size > 100_000


def test_analyzer_is_built_once():
    assert sentiment._analyzer() is sentiment._analyzer()
