"""Emoji valences, one table for every language (pure).

vaderSentiment ships an emoji lexicon (emoji -> English description, "😞" -> "disappointed face") and scores an
emoji by the words of its description. The table here does the same once, reading both of its files through
`importlib.resources` (nothing is copied into omnicx), then lays omnicx's `emoji.tsv` over it for the emoji
customers use most whose description scores nothing ("thumbs up", "pouting face") or the wrong way.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from omnicx.inbox.sentiment.grammar import COURTESY_EMOJI
from omnicx.inbox.sentiment.lexicon import read_data, rows
from omnicx.inbox.sentiment.tokens import strip_modifiers

# A description's words can add up past VADER's scale ("smiling face with 3 hearts"); keep emoji below words.
_CAP = 3.0


def _vader_file(name: str) -> str:
    return resources.files("vaderSentiment").joinpath(name).read_text(encoding="utf-8")


def vader_lexicon() -> dict[str, float]:
    """VADER's English lexicon as it ships (token -> mean valence)."""
    lexicon: dict[str, float] = {}
    for line in _vader_file("vader_lexicon.txt").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            lexicon[fields[0]] = float(fields[1])
    return lexicon


def _described() -> dict[str, float]:
    """Single-character emoji scored by their description's words in VADER's lexicon."""
    lexicon = vader_lexicon()
    table: dict[str, float] = {}
    for line in _vader_file("emoji_utf8_lexicon.txt").splitlines():
        emoji, _, description = line.partition("\t")
        emoji = strip_modifiers(emoji.strip())
        if len(emoji) != 1:
            continue
        valence = sum(lexicon.get(word, 0.0) for word in description.lower().split())
        if valence:
            table[emoji] = max(-_CAP, min(_CAP, valence))
    return table


def _kept() -> dict[str, float]:
    return {strip_modifiers(emoji): valence for emoji, valence in rows(read_data("emoji.tsv"))}


@cache
def emoji_valences() -> dict[str, float]:
    """Emoji -> valence on VADER's scale; omnicx's own table wins over the derived one."""
    return _described() | _kept()


def split_emoji(text: str, *, request: bool) -> tuple[str, float]:
    """`text` with its emoji replaced by spaces, and their summed valence.

    Emoji are read apart from words: they show the writer's feeling about the whole message, so a negation
    or a "but" before them does not turn them ("not delivered yet 😠" stays angry). In a request, the folded
    hands are courtesy and count 0, like "please".
    """
    table = emoji_valences()
    kept: list[str] = []
    total = 0.0
    for char in strip_modifiers(text):
        valence = table.get(char)
        if valence is None:
            kept.append(char)
            continue
        kept.append(" ")
        if not (request and char in COURTESY_EMOJI):
            total += valence
    return "".join(kept), total
