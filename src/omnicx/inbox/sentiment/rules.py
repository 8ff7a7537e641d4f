"""VADER's rules over the lexicons omnicx keeps (French, Indonesian, Catalan) (pure).

The same heuristics as vaderSentiment, on VADER's scale, so every language's compound means the same:
- a word's valence comes from the lexicon; emoji are read apart and added (`emoji.split_emoji`);
- an intensifier up to 3 words before it (or an Indonesian one just after: "bagus banget") adds ±0.293,
  dampened with distance; a negation up to 3 words before it scales it by -0.74 ("pas content", "tidak puas",
  "no estic content"), once however many negations there are ("je ne suis pas");
- in a sentence with "but" ("mais", "tapi", "però"), what comes before weighs 0.5 and what comes after 1.5;
- exclamation marks add emphasis in the direction of the words' sum, as do repeated question marks;
- courtesy ("merci", "terima kasih", "gràcies", 🙏) in a request is politeness, not satisfaction, and counts 0.
Windows stop at punctuation: a negation does not reach into the next clause. Unlike VADER, sentences are read
apart, so "still nothing. This is unacceptable" does not negate "unacceptable".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from omnicx.inbox.sentiment.emoji import emoji_valences, split_emoji
from omnicx.inbox.sentiment.grammar import BOOST_DAMPING, BUT_AFTER, BUT_BEFORE, NEGATION_SCALAR, WINDOW
from omnicx.inbox.sentiment.lexicon import Vocabulary, vocabulary
from omnicx.inbox.sentiment.tokens import CLAUSE_END, SENTENCE_END, tokenize

# VADER's normalisation constant and punctuation emphasis (vaderSentiment: normalize, _amplify_ep, _amplify_qm).
ALPHA = 15.0
EXCLAMATION = 0.292
MAX_EXCLAMATIONS = 4
QUESTION = 0.18
MANY_QUESTIONS = 0.96


def normalize(total: float) -> float:
    """VADER's compound: the sum squashed into [-1, 1] (x / sqrt(x² + 15))."""
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


def emphasis(text: str, total: float) -> float:
    """`total` pushed further from 0 by exclamation marks and repeated question marks, as VADER does."""
    if not total:
        return total
    amplifier = min(text.count("!"), MAX_EXCLAMATIONS) * EXCLAMATION
    questions = text.count("?")
    if questions > 1:
        amplifier += questions * QUESTION if questions <= 3 else MANY_QUESTIONS
    return total + math.copysign(amplifier, total)


def raw_sum(text: str, language: str) -> float:
    """The summed valence of `text` (before normalisation) in `language` (one of fr, id, ca)."""
    vocab = vocabulary(language)
    tokens = vocab.merge_phrases(tokenize(text))
    request = "?" in text or any(token in vocab.grammar.requests for token in tokens)
    _, emoji = split_emoji(text, request=request)
    table = emoji_valences()
    words = [token for token in tokens if token not in table]
    total = sum(sum(_sentence(sentence, vocab, request=request)) for sentence in _sentences(words))
    return emphasis(text, total) + emoji


def _sentences(tokens: list[str]) -> list[list[str]]:
    sentences: list[list[str]] = [[]]
    for token in tokens:
        if token == SENTENCE_END:
            sentences.append([])
        else:
            sentences[-1].append(token)
    return [sentence for sentence in sentences if sentence]


def _sentence(words: Sequence[str], vocab: Vocabulary, *, request: bool) -> list[float]:
    valences = []
    for i in range(len(words)):
        valence = _base(words, i, vocab, request=request)
        if valence:
            valence = _negate(words, i, _intensify(words, i, valence, vocab), vocab)
        valences.append(valence)
    return _weigh_contrast(words, valences, vocab)


def _before(words: Sequence[str], i: int) -> list[str]:
    """Up to WINDOW words before words[i], nearest first, stopping at a clause break."""
    window: list[str] = []
    for word in reversed(words[max(0, i - WINDOW) : i]):
        if word == CLAUSE_END:
            break
        window.append(word)
    return window


def _after(words: Sequence[str], i: int) -> list[str]:
    """Up to 2 words after words[i], nearest first, stopping at a clause break."""
    window: list[str] = []
    for word in words[i + 1 : i + 3]:
        if word == CLAUSE_END:
            break
        window.append(word)
    return window


def _base(words: Sequence[str], i: int, vocab: Vocabulary, *, request: bool) -> float:
    """words[i]'s own valence: 0 for function words, courtesy in a request and words the lexicon lacks."""
    word, grammar = words[i], vocab.grammar
    if word == CLAUSE_END or word in grammar.negations:
        return 0.0
    if request and word in grammar.courtesy:
        return 0.0
    if word in grammar.boosters and any(vocab.valence(nxt) for nxt in _after(words, i)[:1]):
        return 0.0  # "super rapide": "super" raises "rapide" rather than counting on its own
    return vocab.valence(word) or 0.0


def _intensify(words: Sequence[str], i: int, valence: float, vocab: Vocabulary) -> float:
    """`valence` moved away from 0 by intensifiers ("très", "sangat") and towards it by diminishers ("un peu")."""
    grammar = vocab.grammar
    direction = 1.0 if valence > 0 else -1.0
    boosts = [(grammar.boosters.get(word), d) for d, word in enumerate(_before(words, i))]
    boosts += [(grammar.post_boosters.get(word), d) for d, word in enumerate(_after(words, i))]
    return valence + sum(boost * BOOST_DAMPING[d] * direction for boost, d in boosts if boost)


def _negate(words: Sequence[str], i: int, valence: float, vocab: Vocabulary) -> float:
    if any(word in vocab.grammar.negations for word in _before(words, i)):
        return valence * NEGATION_SCALAR
    return valence


def _weigh_contrast(words: Sequence[str], valences: list[float], vocab: Vocabulary) -> list[float]:
    """VADER's "but" rule on the first contrast word of the sentence."""
    at = next((i for i, word in enumerate(words) if word in vocab.grammar.contrasts), None)
    if at is None:
        return valences
    return [v * BUT_BEFORE if i < at else v * BUT_AFTER if i > at else v for i, v in enumerate(valences)]
