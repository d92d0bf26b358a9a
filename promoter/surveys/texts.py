"""The words a survey shows, in the best matching language.

A survey's own texts (``Survey.texts``, per locale) override the built-in ones of the same
language; the built-in ones exist in a few languages so a new survey speaks to most people at
once. ``{product}`` in any text is replaced by the project's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys every resolved text set has. ``followup_<category>`` become ``followup[category]``.
TEXT_KEYS = (
    "question",
    "low_label",
    "high_label",
    "followup_promoter",
    "followup_passive",
    "followup_detractor",
    "comment_placeholder",
    "submit",
    "skip",
    "dismiss",
    "thank_you",
    "cta_text",
)

_COMMON: dict[str, dict[str, str]] = {
    "en": {
        "comment_placeholder": "Your answer (optional)",
        "submit": "Send",
        "skip": "Skip",
        "dismiss": "Close",
        "thank_you": "Thank you for your feedback!",
        "cta_text": "Leave us a review",
    },
    "fr": {
        "comment_placeholder": "Votre réponse (facultatif)",
        "submit": "Envoyer",
        "skip": "Passer",
        "dismiss": "Fermer",
        "thank_you": "Merci pour votre avis !",
        "cta_text": "Laissez-nous un avis",
    },
    "de": {
        "comment_placeholder": "Ihre Antwort (optional)",
        "submit": "Senden",
        "skip": "Überspringen",
        "dismiss": "Schließen",
        "thank_you": "Vielen Dank für Ihr Feedback!",
        "cta_text": "Bewerten Sie uns",
    },
    "es": {
        "comment_placeholder": "Su respuesta (opcional)",
        "submit": "Enviar",
        "skip": "Omitir",
        "dismiss": "Cerrar",
        "thank_you": "¡Gracias por su opinión!",
        "cta_text": "Déjenos una reseña",
    },
}

_BY_KIND: dict[str, dict[str, dict[str, str]]] = {
    "nps": {
        "en": {
            "question": "How likely are you to recommend {product} to a friend or colleague?",
            "low_label": "Not at all likely",
            "high_label": "Extremely likely",
            "followup_promoter": "What do you like most about {product}?",
            "followup_passive": "What could we do to make {product} better for you?",
            "followup_detractor": "What disappointed you, and what should we fix first?",
        },
        "fr": {
            "question": "Quelle est la probabilité que vous recommandiez {product} à un ami "
            "ou un collègue ?",
            "low_label": "Pas du tout probable",
            "high_label": "Très probable",
            "followup_promoter": "Qu'appréciez-vous le plus dans {product} ?",
            "followup_passive": "Que pourrions-nous faire pour améliorer {product} pour vous ?",
            "followup_detractor": "Qu'est-ce qui vous a déçu, et que devrions-nous corriger "
            "en premier ?",
        },
        "de": {
            "question": "Wie wahrscheinlich ist es, dass Sie {product} einem Freund oder "
            "Kollegen empfehlen?",
            "low_label": "Sehr unwahrscheinlich",
            "high_label": "Sehr wahrscheinlich",
            "followup_promoter": "Was gefällt Ihnen an {product} am besten?",
            "followup_passive": "Was könnten wir tun, um {product} für Sie zu verbessern?",
            "followup_detractor": "Was hat Sie enttäuscht, und was sollten wir zuerst beheben?",
        },
        "es": {
            "question": "¿Qué probabilidad hay de que recomiende {product} a un amigo o colega?",
            "low_label": "Nada probable",
            "high_label": "Muy probable",
            "followup_promoter": "¿Qué es lo que más le gusta de {product}?",
            "followup_passive": "¿Qué podríamos hacer para mejorar {product} para usted?",
            "followup_detractor": "¿Qué le decepcionó y qué deberíamos arreglar primero?",
        },
    },
    "csat": {
        "en": {
            "question": "How satisfied are you with {product}?",
            "low_label": "Very unsatisfied",
            "high_label": "Very satisfied",
            "followup_promoter": "What did we do well?",
            "followup_passive": "What could we do better?",
            "followup_detractor": "What went wrong?",
        },
        "fr": {
            "question": "Êtes-vous satisfait de {product} ?",
            "low_label": "Très insatisfait",
            "high_label": "Très satisfait",
            "followup_promoter": "Qu'avons-nous bien fait ?",
            "followup_passive": "Que pourrions-nous mieux faire ?",
            "followup_detractor": "Qu'est-ce qui n'a pas fonctionné ?",
        },
        "de": {
            "question": "Wie zufrieden sind Sie mit {product}?",
            "low_label": "Sehr unzufrieden",
            "high_label": "Sehr zufrieden",
            "followup_promoter": "Was haben wir gut gemacht?",
            "followup_passive": "Was könnten wir besser machen?",
            "followup_detractor": "Was ist schiefgelaufen?",
        },
        "es": {
            "question": "¿Qué tan satisfecho está con {product}?",
            "low_label": "Muy insatisfecho",
            "high_label": "Muy satisfecho",
            "followup_promoter": "¿Qué hicimos bien?",
            "followup_passive": "¿Qué podríamos hacer mejor?",
            "followup_detractor": "¿Qué salió mal?",
        },
    },
    "ces": {
        "en": {
            "question": "{product} made it easy for me to handle my issue.",
            "low_label": "Strongly disagree",
            "high_label": "Strongly agree",
            "followup_promoter": "What made it easy?",
            "followup_passive": "What would have made it easier?",
            "followup_detractor": "What made it hard?",
        },
        "fr": {
            "question": "{product} m'a permis de régler mon problème facilement.",
            "low_label": "Pas du tout d'accord",
            "high_label": "Tout à fait d'accord",
            "followup_promoter": "Qu'est-ce qui a rendu cela facile ?",
            "followup_passive": "Qu'est-ce qui aurait rendu cela plus facile ?",
            "followup_detractor": "Qu'est-ce qui a rendu cela difficile ?",
        },
        "de": {
            "question": "{product} hat es mir leicht gemacht, mein Anliegen zu erledigen.",
            "low_label": "Stimme überhaupt nicht zu",
            "high_label": "Stimme voll und ganz zu",
            "followup_promoter": "Was hat es leicht gemacht?",
            "followup_passive": "Was hätte es leichter gemacht?",
            "followup_detractor": "Was hat es schwer gemacht?",
        },
        "es": {
            "question": "{product} me facilitó resolver mi problema.",
            "low_label": "Totalmente en desacuerdo",
            "high_label": "Totalmente de acuerdo",
            "followup_promoter": "¿Qué lo hizo fácil?",
            "followup_passive": "¿Qué lo habría hecho más fácil?",
            "followup_detractor": "¿Qué lo hizo difícil?",
        },
    },
}

# A word for each point of the shorter scales, read out by screen readers.
_POINT_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "csat": {
        "en": ("Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"),
        "fr": ("Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"),
        "de": ("Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"),
        "es": ("Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"),
    },
    "ces": {
        "en": (
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neither agree nor disagree",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ),
        "fr": (
            "Pas du tout d'accord",
            "Pas d'accord",
            "Plutôt pas d'accord",
            "Ni d'accord ni pas d'accord",
            "Plutôt d'accord",
            "D'accord",
            "Tout à fait d'accord",
        ),
        "de": (
            "Stimme überhaupt nicht zu",
            "Stimme nicht zu",
            "Stimme eher nicht zu",
            "Weder noch",
            "Stimme eher zu",
            "Stimme zu",
            "Stimme voll und ganz zu",
        ),
        "es": (
            "Totalmente en desacuerdo",
            "En desacuerdo",
            "Algo en desacuerdo",
            "Ni de acuerdo ni en desacuerdo",
            "Algo de acuerdo",
            "De acuerdo",
            "Totalmente de acuerdo",
        ),
    },
}

BUILT_IN_LOCALES = tuple(_COMMON)


def _candidates(locale: str) -> list[str]:
    """Return ``fr-CA`` → ``["fr-ca", "fr"]``: the exact tag first, then its language."""
    tag = (locale or "").strip().replace("_", "-").lower()
    if not tag:
        return []
    language = tag.split("-", 1)[0]
    return [tag] if tag == language else [tag, language]


def best_locale(requested: str, available: list[str], default: str = "en") -> str:
    """Return the available locale that best matches ``requested``, else ``default``."""
    lowered = {code.lower(): code for code in available}
    for candidate in _candidates(requested):
        if candidate in lowered:
            return lowered[candidate]
    for candidate in _candidates(requested):
        # "fr" asked, only "fr-CA" configured: a regional variant beats another language.
        for code in available:
            if code.lower().split("-", 1)[0] == candidate:
                return code
    return default


def built_in_texts(kind: str, language: str) -> dict[str, str]:
    """Return the built-in texts of ``kind`` in ``language`` (English when not built in)."""
    language = language.lower().split("-", 1)[0]
    if language not in _COMMON:
        language = "en"
    return {**_COMMON[language], **_BY_KIND[kind][language]}


def resolve_texts(
    *,
    kind: str,
    scale: tuple[int, int],
    custom: Mapping[str, Any],
    locale: str,
    product: str,
) -> tuple[str, dict[str, Any]]:
    """Return ``(locale, texts)`` for a survey shown to a person who prefers ``locale``.

    ``custom`` is ``Survey.texts``. The chosen locale is the best match among the survey's own
    locales and the built-in ones; the survey's own texts of that locale override the built-in
    texts of its language; anything still missing comes from English.
    """
    custom_locales = [code for code, value in custom.items() if isinstance(value, Mapping)]
    fallback = custom_locales[0] if custom_locales else "en"
    chosen = best_locale(locale, custom_locales + list(BUILT_IN_LOCALES), default=fallback)
    merged: dict[str, str] = built_in_texts(kind, chosen)
    own = custom.get(chosen)
    if own is None:
        own = next(
            (
                value
                for code, value in custom.items()
                if code.lower().split("-", 1)[0] == chosen.lower().split("-", 1)[0]
            ),
            {},
        )
    for key, value in (own or {}).items():
        if key in TEXT_KEYS and isinstance(value, str) and value.strip():
            merged[key] = value
    filled = {key: merged[key].replace("{product}", product) for key in TEXT_KEYS}
    language = chosen.lower().split("-", 1)[0]
    points = _POINT_LABELS.get(kind, {})
    words = points.get(language) or points.get("en")
    low, high = scale
    score_labels: dict[str, str] = {}
    for score in range(low, high + 1):
        if words:
            score_labels[str(score)] = f"{score}, {words[score - low]}"
        elif score == low:
            score_labels[str(score)] = f"{score}, {filled['low_label']}"
        elif score == high:
            score_labels[str(score)] = f"{score}, {filled['high_label']}"
        else:
            score_labels[str(score)] = str(score)
    texts: dict[str, Any] = {
        "question": filled["question"],
        "low_label": filled["low_label"],
        "high_label": filled["high_label"],
        "score_labels": score_labels,
        "followup": {
            "promoter": filled["followup_promoter"],
            "passive": filled["followup_passive"],
            "detractor": filled["followup_detractor"],
        },
        "comment_placeholder": filled["comment_placeholder"],
        "submit": filled["submit"],
        "skip": filled["skip"],
        "dismiss": filled["dismiss"],
        "thank_you": filled["thank_you"],
        "cta_text": filled["cta_text"],
        "powered_by": "Promoter",
    }
    return chosen, texts


def product_name(project: Any) -> str:
    """Return the product's name as texts say it (``{product}``): the project's look sets
    it, else the project's name."""
    return str((project.look or {}).get("product_name") or project.name)
