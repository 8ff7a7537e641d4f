"""The lexicons omnicx keeps (`lexicon_<language>.tsv` beside this module) and how a word finds its entry (pure).

Entries are folded and split like a message (`tokens.tokenize`), so "déçu" and "decu" are one key and a phrase
("pas terrible", "terima kasih") is its words joined by spaces. A word missing from the lexicon tries the forms
its language derives it from: a plural or feminine in French, a plural or "-íssim" superlative in Catalan, a
clitic ("-nya", "-lah") in Indonesian. That keeps the files to base forms without a stemmer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from omnicx.inbox.sentiment.grammar import BOOST, GRAMMARS, Grammar
from omnicx.inbox.sentiment.tokens import CLAUSE_END, SENTENCE_END, tokenize

_PACKAGE = "omnicx.inbox.sentiment"
_CATALAN_SUPERLATIVE = re.compile(r"^(\w{2,}?)issim(?:a|s|es)?$")
_INDONESIAN_CLITICS = ("nya", "lah", "kah", "pun", "ku", "mu")
_BREAKS = frozenset({SENTENCE_END, CLAUSE_END})


def read_data(name: str) -> str:
    """A data file shipped in this package (read through importlib.resources, so it works from a wheel)."""
    return resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def rows(text: str) -> Iterator[tuple[str, float]]:
    """(key, valence) rows of a `key<TAB>valence` file; blank lines and `#` comments skipped."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, valence = line.rsplit("\t", 1)
            yield key, float(valence)


def _key(text: str) -> str:
    return " ".join(tokenize(text))


@dataclass(frozen=True)
class Vocabulary:
    """One language's lexicon and grammar, with the phrases both use for merging tokens."""

    language: str
    words: dict[str, float]
    grammar: Grammar
    phrases: frozenset[str]
    phrase_lengths: tuple[int, ...]

    def valence(self, word: str) -> float | None:
        """The lexicon's valence for `word` or for the form it derives from; None when neither is listed."""
        found = self.words.get(word)
        if found is not None:
            return found
        for base, boost in _bases(self.language, word):
            found = self.words.get(base)
            if found is not None:
                return found + boost if found > 0 else found - boost
        return None

    def merge_phrases(self, tokens: list[str]) -> list[str]:
        """`tokens` with each known phrase (longest first, never across a break) joined into one token."""
        merged: list[str] = []
        i = 0
        while i < len(tokens):
            for length in self.phrase_lengths:
                window = tokens[i : i + length]
                candidate = " ".join(window)
                if len(window) == length and _BREAKS.isdisjoint(window) and candidate in self.phrases:
                    merged.append(candidate)
                    i += length
                    break
            else:
                merged.append(tokens[i])
                i += 1
        return merged


def _bases(language: str, word: str) -> Iterator[tuple[str, float]]:
    """Forms `word` may derive from in `language`, each with the boost the derivation adds."""
    if language == "id":
        for clitic in _INDONESIAN_CLITICS:
            if word.endswith(clitic) and len(word) - len(clitic) >= 3:
                yield word[: -len(clitic)], 0.0
        return
    if word.endswith(("s", "x")) and len(word) > 3:
        yield word[:-1], 0.0
    if language == "fr":
        if word.endswith("es") and len(word) > 4:
            yield word[:-2], 0.0
        if word.endswith("e") and len(word) > 3:
            yield word[:-1], 0.0
    elif language == "ca":
        if word.endswith("es") and len(word) > 4:
            yield word[:-2] + "a", 0.0
        superlative = _CATALAN_SUPERLATIVE.match(word)
        if superlative:
            stem = superlative.group(1)
            for base in (stem, stem + "e", stem + "a"):
                yield base, BOOST


def _grammar_phrases(grammar: Grammar) -> Iterable[str]:
    yield from grammar.negations
    yield from grammar.boosters
    yield from grammar.post_boosters
    yield from grammar.contrasts
    yield from grammar.courtesy
    yield from grammar.requests


@cache
def vocabulary(language: str) -> Vocabulary:
    """The vocabulary of one of the languages omnicx keeps a lexicon for (fr, id, ca), loaded once."""
    grammar = GRAMMARS[language]
    words = {_key(key): valence for key, valence in rows(read_data(f"lexicon_{language}.tsv"))}
    phrases = frozenset(key for key in (*words, *_grammar_phrases(grammar)) if " " in key)
    lengths = tuple(sorted({phrase.count(" ") + 1 for phrase in phrases}, reverse=True))
    return Vocabulary(language, words, grammar, phrases, lengths)
