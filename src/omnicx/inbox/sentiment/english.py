"""English sentiment: vaderSentiment, with its lexicon adjusted for a shop's messages (pure).

vaderSentiment ships its lexicon inside its wheel and reads it from there; nothing is fetched at run time.
omnicx adds what a shop's inbox needs on top of it:
- `lexicon_en.tsv`: terms of sale that are not feelings ("slim fit", "free returns") and complaint words VADER
  lacks ("late", "nightmare");
- emoji read apart from the words with the shared emoji table (`emoji.split_emoji`; VADER's description of
  "👍", "thumbs up", scores nothing);
- "like" after "would", "looks", "fits"... is a request or a comparison, not a liking;
- courtesy ("thanks", "please", 🙏) in a request counts 0, as in the other languages;
- sentences are scored apart (VADER's own advice for longer texts) and their sums added, so a negation does not
  reach across a full stop ("still nothing. This is unacceptable!").
"""

from __future__ import annotations

import math
import re
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from omnicx.inbox.sentiment.emoji import split_emoji
from omnicx.inbox.sentiment.lexicon import read_data, rows
from omnicx.inbox.sentiment.rules import ALPHA

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_LIKE_NOT_A_FEELING = re.compile(
    r"\b(would|(?:'|’)d|looks?|looked|fits?|fitted|feels?|felt|seems?|seemed|smells?|sounds?|just)\s+like\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(r"\?|\b(?:please|pls|plz|kindly)\b", re.IGNORECASE)
_COURTESY = re.compile(r"\b(?:thanks|thank|thx|ty|please|pls|plz)\b", re.IGNORECASE)
# VADER rounds its compound to 4 decimals: keep the inverse finite at ±1.
_MAX_COMPOUND = 0.9999


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word, valence in rows(read_data("lexicon_en.tsv")):
        if valence:
            analyzer.lexicon[word] = valence
        else:
            analyzer.lexicon.pop(word, None)
    analyzer.emojis = {}  # emoji are scored apart (split_emoji), not replaced by their descriptions
    return analyzer


def _sum_of(compound: float) -> float:
    """The valence sum VADER squashed into `compound` (the inverse of x / sqrt(x² + 15))."""
    compound = max(-_MAX_COMPOUND, min(_MAX_COMPOUND, compound))
    return compound * math.sqrt(ALPHA / (1.0 - compound * compound))


def raw_sum(text: str) -> float:
    """The summed valence of English `text` (before normalisation), sentence by sentence."""
    request = bool(_REQUEST.search(text))
    words, emoji = split_emoji(text, request=request)
    words = _LIKE_NOT_A_FEELING.sub(r"\1", words)
    if request:
        words = _COURTESY.sub(" ", words)
    analyzer = _analyzer()
    sentences = (part for part in _SENTENCES.split(words) if part.strip())
    return sum(_sum_of(analyzer.polarity_scores(sentence)["compound"]) for sentence in sentences) + emoji
