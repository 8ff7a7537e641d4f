"""Words, emoji and clause breaks of a customer's text, folded (pure).

Folding (`folding.fold`) makes case and accents irrelevant, as phones often drop them ("tres decu"). Elisions and
hyphens split words ("j'ai", "n'estic", "CS-nya"), the Catalan "l·l" joins ("excel·lent" reads "excellent"),
and emoji stay as one token each, without their skin tone or variation selector.
"""

from __future__ import annotations

import re
import unicodedata

from omnicx.inbox.folding import fold

# Sentence ends close a "but" clause and every negation or intensifier window; clause marks close windows only.
SENTENCE_END = "."
CLAUSE_END = ","

# Variation selectors, the zero-width joiner and skin tones change how an emoji looks, not what it says.
_MODIFIERS = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
_GEMINATE_L = re.compile(r"(?<=\w)l[·.]l(?=\w)")
_TOKEN = re.compile(r"[^\W_]+|\S")
_SENTENCE_MARKS = frozenset(".!?…")
_CLAUSE_MARKS = frozenset(',;:()[]"«»“”')


def strip_modifiers(text: str) -> str:
    """`text` with emoji modifiers removed, so "❤️" and "👍🏽" read as "❤" and "👍"."""
    return _MODIFIERS.sub("", text)


def tokenize(text: str) -> list[str]:
    """Folded words, symbols (emoji) and break marks, in order; other punctuation is dropped."""
    folded = _GEMINATE_L.sub("ll", fold_lines(strip_modifiers(text)))
    out: list[str] = []
    for token in _TOKEN.findall(folded):
        if token in _SENTENCE_MARKS:
            out.append(SENTENCE_END)
        elif token in _CLAUSE_MARKS:
            out.append(CLAUSE_END)
        elif token[0].isalnum() or unicodedata.category(token[0]).startswith("S"):
            out.append(token)
    return out


def fold_lines(text: str) -> str:
    """`fold` that keeps line breaks as sentence ends: a chat message's lines are its sentences."""
    return fold(" . ".join(text.splitlines()))
