"""Which of en, fr, id, ca a short customer text is written in (pure).

The approach of `omnicx.inbox.intent`: count, over the folded text, the common function words of each language
("the", "je", "saya", "amb"), which short messages always have, then add half a point for each word of the
language's sentiment lexicon ("kecewa", "decu", "decebut"; VADER's for English) and a point for each letter
only one of French and Catalan writes ("ê", "ò"). The language with most points wins; ties and texts with no
evidence (an emoji alone) go to the first of `LANGUAGES`, English.
"""

from __future__ import annotations

from functools import cache

from omnicx.inbox.sentiment.emoji import vader_lexicon
from omnicx.inbox.sentiment.lexicon import vocabulary
from omnicx.inbox.sentiment.tokens import tokenize

LANGUAGES = ("en", "fr", "id", "ca")
_LEXICON_WEIGHT = 0.5

# Frequent words, folded; a word common to two languages ("la", "i") counts for both. English's last ones are
# the ends of contractions that tokenize splits off ("it's", "don't", "I'd", "we'll", "I've", "you're").


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MARKERS: dict[str, frozenset[str]] = {
    "en": _words(
        "the a an my our your is are was were be been i you it its and or not no with when have has had this that "
        "for of to in on at from can could would will do does did what where how which why please thanks thank "
        "but so very me we they he she them there here just still yet again dont didnt doesnt im ive id "
        "s t d ll ve re"
    ),
    "fr": _words(
        "le la les un une des du de d ma mon mes ta ton votre vos nous est et je j vous pas ne n avec pour ou c ce "
        "cette qu que qui sur dans suis ai au aux tres merci bonjour mais tout elle il sont ete etait y en cela ca "
        "pouvez puis peux svp rien toujours encore deja chez l avez avons ont etes fait faire aussi parce "
        "quand comme alors donc moi leur nos notre sans sous vais veux voudrais"
    ),
    "id": _words(
        "saya aku sy gue gw yang yg tidak tdk gak ga nggak ngga belum blm apakah apa dan ini itu untuk utk sudah "
        "udah sdh mau kak min di ke dari ada bisa dengan dgn sama juga lagi banget bgt sekali sangat tapi ya dong "
        "sih kok aja kalau kalo karena atau pesanan barang kapan berapa gimana bagaimana tolong terima kasih "
        "makasih halo"
    ),
    "ca": _words(
        "la el els les es i amb per meva meu meus meves vull una un encara aquest aquesta aquests que molt molta "
        "moltes gracies pero no he heu va van ha han hi ho em et teniu sou som estic esta dels al als del d l n m "
        "puc podeu quan on quin quina mai res gens ja fa tot bon dia voldria de en aquestes aquell aquella seu "
        "seva nostre nostra vostre vostra tinc son estan tambe perque com doncs ara avui ahir dema us ens li hem "
        "vaig vau fer feu pel pels"
    ),
}

# Letters one of the two Romance languages writes and the other does not (seen before folding removes them).
_LETTERS: dict[str, frozenset[str]] = {
    "fr": frozenset("âêîôûùœÿ"),
    "ca": frozenset("íóòú·"),
}


@cache
def function_words() -> frozenset[str]:
    """Every language's common function words, folded ("the", "je", "saya", "amb"): what phrase counts skip."""
    return frozenset().union(*_MARKERS.values())


def _english_words() -> frozenset[str]:
    return frozenset(word for word in vader_lexicon() if word.isalpha())


def _lexicon_hit(language: str, word: str) -> bool:
    if language == "en":
        return word in _english_words()
    return vocabulary(language).valence(word) is not None


def detect_language(text: str) -> str:
    """The language of `text` among `LANGUAGES` (English when nothing tells)."""
    words = [token for token in tokenize(text) if token[0].isalpha()]
    lowered = text.lower()
    best, best_points = LANGUAGES[0], 0.0
    for language in LANGUAGES:
        markers = _MARKERS[language]
        points = sum(
            1.0 if word in markers else _LEXICON_WEIGHT * _lexicon_hit(language, word) for word in words
        )
        points += sum(lowered.count(letter) for letter in _LETTERS.get(language, ()))
        if points > best_points:
            best, best_points = language, points
    return best
