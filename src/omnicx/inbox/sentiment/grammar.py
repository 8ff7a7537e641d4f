"""The function words the sentiment rules need, per language (pure data).

VADER's rules key on a few closed word classes: negations ("not" flips the next sentiment words), intensifiers
("very" raises them, "a bit" lowers them), the contrasting "but", and, for a shop's inbox, courtesy ("thanks",
"please"), which is politeness rather than feeling when it wraps a request. English reads its classes from
vaderSentiment; French, Indonesian and Catalan keep theirs here, folded (`folding.fold`: no accents, lower case).
"""

from __future__ import annotations

from dataclasses import dataclass

# VADER's constants (vaderSentiment.vaderSentiment: N_SCALAR, B_INCR, B_DECR), so every language is on one scale.
NEGATION_SCALAR = -0.74
BOOST = 0.293
BUT_BEFORE = 0.5
BUT_AFTER = 1.5
# How many words before a sentiment word a negation or an intensifier reaches, and how each step away dampens it.
WINDOW = 3
BOOST_DAMPING = (1.0, 0.95, 0.9)


@dataclass(frozen=True)
class Grammar:
    """One language's closed word classes; phrases are space-separated folded words ("un peu", "si us plau")."""

    negations: frozenset[str]
    boosters: dict[str, float]
    # Intensifiers placed after the word they raise: Indonesian "bagus sekali", "kecewa banget", French "merci
    # beaucoup".
    post_boosters: dict[str, float]
    contrasts: frozenset[str]
    courtesy: frozenset[str]
    # Words that make a message a request ("please"); a question mark does too.
    requests: frozenset[str]


GRAMMARS: dict[str, Grammar] = {
    "fr": Grammar(
        negations=frozenset({"ne", "n", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "guere"}),
        boosters={
            "tres": BOOST,
            "trop": BOOST,
            "vraiment": BOOST,
            "tellement": BOOST,
            "extremement": BOOST,
            "hyper": BOOST,
            "super": BOOST,
            "vachement": BOOST,
            "completement": BOOST,
            "totalement": BOOST,
            "absolument": BOOST,
            "particulierement": BOOST,
            "si": BOOST,
            "tout a fait": BOOST,
            "bien": BOOST,
            "un peu": -BOOST,
            "peu": -BOOST,
            "legerement": -BOOST,
            "plutot": -BOOST,
            "assez": -BOOST,
            "moyennement": -BOOST,
        },
        post_boosters={"beaucoup": BOOST, "du tout": BOOST},
        contrasts=frozenset({"mais", "cependant", "pourtant", "toutefois"}),
        courtesy=frozenset(
            {"merci", "merci beaucoup", "remercie", "svp", "stp", "s il vous plait", "s il te plait"}
        ),
        requests=frozenset({"svp", "stp", "s il vous plait", "s il te plait"}),
    ),
    "id": Grammar(
        negations=frozenset(
            {
                "tidak",
                "tdk",
                "tak",
                "gak",
                "ga",
                "gk",
                "nggak",
                "ngga",
                "enggak",
                "engga",
                "kagak",
                "bukan",
                "bkn",
                "belum",
                "blm",
                "tanpa",
                "jangan",
                "kurang",
            }
        ),
        boosters={
            "sangat": BOOST,
            "amat": BOOST,
            "terlalu": BOOST,
            "super": BOOST,
            "benar benar": BOOST,
            "bener bener": BOOST,
            "sungguh": BOOST,
            "paling": BOOST,
            "makin": BOOST,
            "agak": -BOOST,
            "sedikit": -BOOST,
            "rada": -BOOST,
            "cukup": -BOOST,
        },
        post_boosters={
            "sekali": BOOST,
            "banget": BOOST,
            "bgt": BOOST,
            "bngt": BOOST,
            "bener": BOOST,
            "abis": BOOST,
        },
        contrasts=frozenset({"tapi", "tetapi", "tp", "namun", "cuma"}),
        courtesy=frozenset(
            {"terima kasih", "makasih", "trims", "thanks", "thx", "tks", "tq", "thank you", "tolong", "mohon"}
        ),
        requests=frozenset({"tolong", "mohon", "minta tolong"}),
    ),
    "ca": Grammar(
        negations=frozenset({"no", "mai", "cap", "ningu", "res", "sense", "ni", "tampoc", "gens"}),
        boosters={
            "molt": BOOST,
            "molta": BOOST,
            "molts": BOOST,
            "moltes": BOOST,
            "massa": BOOST,
            "super": BOOST,
            "realment": BOOST,
            "totalment": BOOST,
            "absolutament": BOOST,
            "completament": BOOST,
            "extremadament": BOOST,
            "forca": BOOST,
            "tan": BOOST,
            "ben": BOOST,
            "una mica": -BOOST,
            "poc": -BOOST,
            "bastant": -BOOST,
            "lleugerament": -BOOST,
        },
        post_boosters={"molt": BOOST},
        contrasts=frozenset({"pero", "tanmateix"}),
        courtesy=frozenset({"gracies", "moltes gracies", "merci", "si us plau", "sisplau", "siusplau"}),
        requests=frozenset({"si us plau", "sisplau", "siusplau"}),
    ),
}

# Courtesy in any language's text: the folded hands emoji reads "please" or "thank you".
COURTESY_EMOJI = frozenset({"🙏"})
