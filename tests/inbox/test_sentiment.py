"""Sentiment of customer messages (en, fr, id, ca), offline: the labelled sets reach the 80% target, and each
rule the score rests on (negation, intensifiers, "but", emoji, folding, courtesy, language detection) holds in
every language."""

from __future__ import annotations

import socket
from importlib import resources
from pathlib import Path

import pytest

from omnicx.inbox.sentiment import (
    LANGUAGES,
    SHARPLY_NEGATIVE,
    Sentiment,
    SentimentScore,
    detect_language,
    english,
    is_sharply_negative,
    lexicon,
    score,
)
from omnicx.inbox.sentiment.emoji import emoji_valences

DATA = Path(__file__).resolve().parent.parent / "data" / "sentiment"
TARGET = 0.8


def labelled(language: str) -> list[tuple[Sentiment, str]]:
    """The labelled set bench/sentiment.py measures (label<TAB>text, a header line first)."""
    rows = (DATA / f"{language}.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(Sentiment(label), text) for label, text in (row.split("\t", 1) for row in rows if row.strip())]


@pytest.mark.parametrize("language", LANGUAGES)
def test_labelled_set_reaches_the_accuracy_target(language: str) -> None:
    # given the labelled customer messages of one language, balanced over the three classes
    rows = labelled(language)
    counts = {label: sum(1 for row_label, _ in rows if row_label == label) for label in Sentiment}
    assert len(rows) >= 60
    assert min(counts.values()) >= len(rows) // 4
    # when each is scored in its language
    right = [score(text, language=language).label == label for label, text in rows]
    # then at least 80% are classed as labelled
    assert sum(right) / len(rows) >= TARGET


# (language, plain, negated, intensified): a positive sentence, its negation, the same with an intensifier.
SENTENCES = [
    ("en", "The service was good", "The service was not good", "The service was very good"),
    ("fr", "Le service était bon", "Le service n'était pas bon", "Le service était très bon"),
    ("id", "Pelayanannya bagus", "Pelayanannya tidak bagus", "Pelayanannya sangat bagus"),
    ("ca", "El servei era bo", "El servei no era bo", "El servei era molt bo"),
]


@pytest.mark.parametrize(("language", "plain", "negated", "_intensified"), SENTENCES)
def test_negation_turns_praise_into_complaint(
    language: str, plain: str, negated: str, _intensified: str
) -> None:
    # given a positive sentence and the same sentence negated
    # when both are scored
    before, after = score(plain, language=language), score(negated, language=language)
    # then the praise is positive and its negation negative
    assert before.label == Sentiment.POSITIVE
    assert after.label == Sentiment.NEGATIVE


@pytest.mark.parametrize(
    ("language", "negated"),
    [("fr", "pas content du tout"), ("id", "gak puas"), ("ca", "no estic gens content"), ("en", "not happy")],
)
def test_negations_of_chat_and_double_negation_flip_once(language: str, negated: str) -> None:
    # given "ne ... pas", "no ... gens" (two negation words) and chat spellings
    # when scored
    result = score(negated, language=language)
    # then the sentence is negative (two negation words do not cancel out)
    assert result.label == Sentiment.NEGATIVE


@pytest.mark.parametrize(("language", "plain", "_negated", "intensified"), SENTENCES)
def test_intensifier_raises_the_magnitude(language: str, plain: str, _negated: str, intensified: str) -> None:
    # given a sentence with and without "very" ("très", "sangat", "molt")
    # when both are scored
    before, after = score(plain, language=language), score(intensified, language=language)
    # then the intensified one is further from neutral, in the same direction
    assert after.compound > before.compound > 0


@pytest.mark.parametrize(
    ("language", "plain", "boosted", "lowered"),
    [
        ("fr", "déçu", "très déçu", "un peu déçu"),
        ("id", "kecewa", "kecewa banget", "agak kecewa"),
        ("ca", "decebut", "molt decebut", "una mica decebut"),
        ("en", "disappointed", "very disappointed", "slightly disappointed"),
    ],
)
def test_intensifiers_after_the_word_and_diminishers(
    language: str, plain: str, boosted: str, lowered: str
) -> None:
    # given a complaint plain, intensified (Indonesian puts "banget" after it) and softened ("a bit")
    # when scored
    compounds = [score(text, language=language).compound for text in (lowered, plain, boosted)]
    # then the magnitudes grow from the softened to the intensified one
    assert 0 > compounds[0] > compounds[1] > compounds[2]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("emoji", "expected"),
    [
        ("😡", Sentiment.NEGATIVE),
        ("😞", Sentiment.NEGATIVE),
        ("👎", Sentiment.NEGATIVE),
        ("👍", Sentiment.POSITIVE),
        ("❤️", Sentiment.POSITIVE),
        ("👍🏽", Sentiment.POSITIVE),
    ],
)
def test_an_emoji_alone_carries_sentiment(language: str, emoji: str, expected: Sentiment) -> None:
    # given a message that is only an emoji (with its variation selector or skin tone)
    # when it is scored in any language
    # then the emoji's feeling is the message's
    assert score(emoji, language=language).label == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "My order has not arrived yet 😡"),
        ("fr", "Ma commande n'est toujours pas arrivée 😡"),
        ("id", "Pesanan saya belum dikirim 😡"),
        ("ca", "La comanda encara no ha arribat 😡"),
    ],
)
def test_a_negation_does_not_turn_an_emoji(language: str, text: str) -> None:
    # given an angry emoji right after a negated verb
    # when scored
    # then the message stays negative: the emoji shows the writer's feeling, it is not negated
    assert score(text, language=language).label == Sentiment.NEGATIVE


@pytest.mark.parametrize(
    ("language", "accented", "plain"),
    [
        ("fr", "Très déçue, qualité médiocre", "tres decue, qualite mediocre"),
        ("ca", "Qualitat pèssima, molt decebuda", "qualitat pessima, molt decebuda"),
        ("ca", "Servei excel·lent", "servei excellent"),
        ("id", "SANGAT KECEWA", "sangat kecewa"),
    ],
)
def test_accents_case_and_the_catalan_dot_are_folded(language: str, accented: str, plain: str) -> None:
    # given the same message typed with and without accents (or in capitals)
    # when both are scored
    # then they score the same, and not neutral
    assert score(accented, language=language) == score(plain, language=language)
    assert score(plain, language=language).label != Sentiment.NEUTRAL


# (language, good then bad, bad then good): a positive and a negative clause of like weight joined by "but".
BUT_CLAUSES = [
    (
        "en",
        "The quality is good but the delivery was slow",
        "The delivery was slow but the quality is good",
    ),
    (
        "fr",
        "La qualité est bonne mais la livraison était lente",
        "La livraison était lente mais la qualité est bonne",
    ),
    (
        "id",
        "Kualitasnya bagus tapi pengirimannya lambat",
        "Pengirimannya lambat tapi kualitasnya bagus",
    ),
    (
        "ca",
        "La qualitat és bona però el lliurament va ser lent",
        "El lliurament va ser lent però la qualitat és bona",
    ),
]


@pytest.mark.parametrize(("language", "good_but_bad", "bad_but_good"), BUT_CLAUSES)
def test_the_clause_after_but_weighs_more(language: str, good_but_bad: str, bad_but_good: str) -> None:
    # given a praise and a complaint joined by "but", in both orders
    # when both are scored
    # then what follows "but" decides, as a customer-service team reads it
    assert score(good_but_bad, language=language).label == Sentiment.NEGATIVE
    assert score(bad_but_good, language=language).label == Sentiment.POSITIVE


@pytest.mark.parametrize(
    ("language", "asking", "thanks"),
    [
        ("en", "Can you send me the invoice please? Thanks", "Thanks a lot!"),
        ("fr", "Pouvez-vous m'envoyer la facture svp ? Merci", "Merci beaucoup !"),
        ("id", "Tolong kirim invoicenya ya. Terima kasih 🙏", "Terima kasih banyak!"),
        ("ca", "Em podeu enviar la factura, si us plau? Gràcies", "Moltes gràcies!"),
    ],
)
def test_courtesy_in_a_request_is_neutral_but_thanks_alone_is_positive(
    language: str, asking: str, thanks: str
) -> None:
    # given a plain request closed with "thanks" and a message that only thanks
    # when both are scored
    # then the request is neutral (politeness is not satisfaction) and the thanks positive
    assert score(asking, language=language).label == Sentiment.NEUTRAL
    assert score(thanks, language=language).label == Sentiment.POSITIVE


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is my order? It still hasn't arrived", "en"),
        ("The staff were lovely and the dress fits perfectly", "en"),
        ("Bonjour, je n'ai toujours pas reçu ma commande", "fr"),
        ("tres decu, le colis est arrive abime", "fr"),
        ("Kak, pesanan saya belum sampai, gimana ya?", "id"),
        ("Barangnya bagus bgt, mantap!", "id"),
        ("Hola, encara no he rebut la meva comanda", "ca"),
        ("Molt contenta amb el servei, gràcies!", "ca"),
    ],
)
def test_language_is_detected_on_clear_sentences(text: str, language: str) -> None:
    # given a clear sentence in one of the four languages
    # when its language is detected, alone or while scoring
    # then it is that language
    assert detect_language(text) == language
    assert score(text).language == language


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_neutral(text: str) -> None:
    # given a message with no text
    # when scored, with or without a language
    # then it is neutral with a compound of exactly 0
    for result in (score(text), score(text, language="fr")):
        assert result.label == Sentiment.NEUTRAL
        assert result.compound == 0.0


def test_text_without_sentiment_words_is_neutral() -> None:
    # given plain questions
    # when scored
    # then they are neutral
    for text, language in [("Do you ship to Spain?", "en"), ("Apakah ukuran 42 tersedia?", "id")]:
        assert score(text, language=language).label == Sentiment.NEUTRAL


def test_sharply_negative_messages_are_told_apart_from_mild_ones() -> None:
    # given an angry complaint and a mild reservation
    angry = score("This is unacceptable, I'm furious! Worst service ever 😡", language="en")
    mild = score("The delivery was a bit slow", language="en")
    # when asked whether they are sharply negative
    # then only the angry one is, and both are negative
    assert angry.compound <= SHARPLY_NEGATIVE
    assert is_sharply_negative(angry)
    assert mild.label == Sentiment.NEGATIVE
    assert not is_sharply_negative(mild)
    for text, language in [("Très déçue, c'est inadmissible !", "fr"), ("Kecewa banget, parah 😡", "id")]:
        assert is_sharply_negative(score(text, language=language))


def test_score_is_a_frozen_value_with_a_language_tag() -> None:
    # given a score asked with a regional language tag
    result = score("Merci, parfait", language="fr-CA")
    # when read
    # then it names the base language, its compound lies in [-1, 1], and it cannot be changed
    assert result == SentimentScore(result.label, result.compound, "fr")
    assert -1.0 <= result.compound <= 1.0
    with pytest.raises(AttributeError):
        result.compound = 0.0  # type: ignore[misc]


def test_an_unsupported_language_is_refused() -> None:
    # given a language the module has no lexicon for
    # when asked to score in it
    # then it says so rather than guessing
    with pytest.raises(ValueError, match="'es'"):
        score("Muy contento", language="es")


@pytest.mark.parametrize(
    "name", ["lexicon_fr.tsv", "lexicon_id.tsv", "lexicon_ca.tsv", "lexicon_en.tsv", "emoji.tsv"]
)
def test_data_files_ship_inside_the_package(name: str) -> None:
    # given the lexicons the project keeps
    # when read through importlib.resources, as in an installed wheel
    text = resources.files("omnicx.inbox.sentiment").joinpath(name).read_text(encoding="utf-8")
    # then each has a few dozen entries at least, every valence on VADER's -4..+4 scale
    valences = [valence for _, valence in lexicon.rows(text)]
    assert len(valences) >= 40
    assert all(-4.0 <= valence <= 4.0 for valence in valences)


def test_scoring_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # given no network at all, and every lexicon to load again
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for cached in (lexicon.vocabulary, english._analyzer, emoji_valences):
        cached.cache_clear()
    # when a message of each language is scored
    results = [score("Très déçu 😡"), score("Kecewa bgt"), score("Molt content"), score("Great, thanks!")]
    # then every one is scored from the files shipped with the packages
    assert [r.label for r in results] == [Sentiment.NEGATIVE, Sentiment.NEGATIVE] + [Sentiment.POSITIVE] * 2
