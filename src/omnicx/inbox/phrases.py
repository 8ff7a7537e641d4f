"""The phrases customers use most for a contact reason (pure): words and pairs of words, counted over folded text
with every language's function words left out ("where is my order" counts "order"; "colis pas reçu" counts
"colis recu"... through the pair "colis", "recu" once the function word "pas" is gone).

Each message counts a phrase once, so one long complaint repeating a word does not outweigh ten short messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

from omnicx.inbox.folding import fold
from omnicx.inbox.sentiment.detection import function_words

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MIN_LENGTH = 3


def _content_words(text: str, skip: frozenset[str]) -> list[str]:
    return [
        w for w in _WORD.findall(fold(text)) if len(w) >= MIN_LENGTH and w not in skip and not w.isdigit()
    ]


def top_phrases(texts: Iterable[str], *, limit: int = 8, min_count: int = 2) -> list[tuple[str, int]]:
    """The `limit` most frequent words and adjacent word pairs (pairs first on ties), each counted once per
    text, seen in at least `min_count` texts."""
    skip = function_words()
    counts: Counter[str] = Counter()
    for text in texts:
        words = _content_words(text, skip)
        seen = set(words) | {f"{a} {b}" for a, b in pairwise(words)}
        counts.update(seen)
    ranked = sorted(
        ((phrase, n) for phrase, n in counts.items() if n >= min_count),
        key=lambda item: (-item[1], -item[0].count(" "), item[0]),
    )
    return ranked[:limit]
