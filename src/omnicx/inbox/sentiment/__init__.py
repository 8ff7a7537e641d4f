"""Sentiment of a customer's text (pure, offline): negative, neutral or positive, with VADER's compound score.

For chat messages, email bodies, survey comments and reviews in English, French, Indonesian and Catalan.
Nothing is downloaded at run time, there is no model and no database:
- English is scored by vaderSentiment (MIT), whose lexicon ships in its wheel, adjusted for a shop (`english`);
- French, Indonesian and Catalan by VADER's rules (`rules`) over lexicons omnicx keeps beside this module
  (`lexicon_fr.tsv`, `lexicon_id.tsv`, `lexicon_ca.tsv`). No French package qualified: vaderSentiment-fr
  (MIT) requires two GPL libraries, unidecode and fuzzywuzzy, and classed 71% of the French set right.
Every language shares the emoji table (`emoji`) and VADER's scale: compound = x / sqrt(x² + 15), positive from
0.05, negative from -0.05, as VADER's authors classify. The labelled sets of tests/data/sentiment measure it
(`python bench/sentiment.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from omnicx.inbox.sentiment import english, rules
from omnicx.inbox.sentiment.detection import LANGUAGES, detect_language

__all__ = [
    "LANGUAGES",
    "SHARPLY_NEGATIVE",
    "THRESHOLD",
    "Sentiment",
    "SentimentScore",
    "detect_language",
    "is_sharply_negative",
    "label_of",
    "score",
]

# VADER's class boundary: |compound| below it is neutral.
THRESHOLD = 0.05
# A message at or below this is an unhappy customer worth answering first (the inbox raises its priority).
# -0.6 is a summed valence of about -2.9: one of the strongest words ("worst", "pire", "terburuk") or two
# complaints together ("très déçue, c'est inadmissible !"); one plain complaint ("disappointed") stays above it.
SHARPLY_NEGATIVE = -0.6


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True)
class SentimentScore:
    """The class of a text, its compound score in [-1, 1] and the language it was read in."""

    label: Sentiment
    compound: float
    language: str


def _language(text: str, language: str | None) -> str:
    """A supported language code from a hint ("fr", "fr-CA", "FR_fr") or, without one, from the text."""
    if language is None:
        return detect_language(text)
    code = language.replace("_", "-").split("-", 1)[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"sentiment is not available in {language!r}; languages: {', '.join(LANGUAGES)}")
    return code


def label_of(compound: float) -> Sentiment:
    """VADER's classes: positive from +0.05, negative from -0.05, neutral between."""
    if compound >= THRESHOLD:
        return Sentiment.POSITIVE
    if compound <= -THRESHOLD:
        return Sentiment.NEGATIVE
    return Sentiment.NEUTRAL


def score(text: str, *, language: str | None = None) -> SentimentScore:
    """The sentiment of `text`, read in `language` (en, fr, id, ca) or in the language detected when None."""
    code = _language(text, language)
    if not text.strip():
        return SentimentScore(Sentiment.NEUTRAL, 0.0, code)
    total = english.raw_sum(text) if code == "en" else rules.raw_sum(text, code)
    compound = round(rules.normalize(total), 4)
    return SentimentScore(label_of(compound), compound, code)


def is_sharply_negative(result: SentimentScore) -> bool:
    """Whether the text is negative enough to raise its conversation's priority."""
    return result.compound <= SHARPLY_NEGATIVE
