"""Detected intent of a customer's message (pure): rules per language, no model, no database.

Rules are regular expressions over folded text (`folding.fold`: lower case, accents removed), anchored on word
boundaries so "returning" matches the return stem but "turn" does not. Each language (en, fr, id, ca) has rules
for five intents; the language is the one whose rules and common words match most, and the intent is the one
with most matching rules in that language (ties broken by `PRIORITY`: a refund request inside a complaint is
worth routing as a return). Confidence grows with the number of rules and language markers that agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from omnicx.inbox.folding import fold


class Intent(StrEnum):
    ORDER_STATUS = "order_status"
    RETURN = "return"
    COMPLAINT = "complaint"
    PRODUCT_QUESTION = "product_question"
    PURCHASE = "purchase"


PRIORITY = (Intent.RETURN, Intent.COMPLAINT, Intent.ORDER_STATUS, Intent.PURCHASE, Intent.PRODUCT_QUESTION)
LANGUAGES = ("en", "fr", "id", "ca")

_RULES: dict[str, dict[Intent, tuple[str, ...]]] = {
    "en": {
        Intent.ORDER_STATUS: (
            r"\bwhere(?:'s| is)? (?:my|our|the) (?:order|parcel|package|delivery)\b",
            r"\b(?:tracking|track my|shipping status|delivery status|order status)\b",
            r"\b(?:order|parcel|package)\b.{0,40}"
            r"\b(?:late|delayed|not (?:yet )?(?:arrived|received)|hasn'?t arrived)\b",
            r"\bwhen will (?:it|my order|my parcel) (?:arrive|ship|be delivered)\b",
        ),
        Intent.RETURN: (
            r"\b(?:return(?:s|ed|ing)?|refund(?:s|ed)?|exchange|send (?:it )?back|money back)\b",
        ),
        Intent.COMPLAINT: (
            r"\b(?:complain(?:t|ts|ing)?|unacceptable|terrible|awful|disappointed|angry|worst|rude)\b",
            r"\b(?:broken|damaged|faulty|defective)\b",
        ),
        Intent.PRODUCT_QUESTION: (
            r"\b(?:size|sizing|material|dimensions?|compatible|in stock|colou?rs?|waterproof)\b",
            r"\b(?:does|is|can|will) (?:it|this|the \w+)\b[^?]*\?",
        ),
        Intent.PURCHASE: (
            r"\b(?:buy|purchase|discount|coupon|promo code|how much|price)\b",
            r"\bi(?:'d| would) like to (?:order|buy)\b",
            r"\b(?:want|wish|going) to buy\b",
        ),
    },
    "fr": {
        Intent.ORDER_STATUS: (
            r"\bou (?:en )?est (?:ma|notre) (?:commande|livraison)\b",
            r"\b(?:suivi|colis|numero de suivi)\b",
            r"\bcommande\b.{0,40}\b(?:retard|pas (?:encore )?(?:recue|arrivee|livree))\b",
        ),
        Intent.RETURN: (r"\b(?:retour(?:ner)?|rembours\w*|renvoyer|echange[rz]?)\b",),
        Intent.COMPLAINT: (
            r"\b(?:plainte|reclamation|inacceptable|decu(?:e)?|furieux|furieuse|scandaleux)\b",
            r"\b(?:casse(?:e)?|endommage(?:e)?|abime(?:e)?|defectueux)\b",
        ),
        Intent.PRODUCT_QUESTION: (
            r"\b(?:taille|matiere|dimensions?|compatible|en stock|couleurs?|impermeable)\b",
            r"\best-ce que (?:le|la|ce|cet|cette)\b",
        ),
        Intent.PURCHASE: (r"\b(?:acheter|achat|commander|prix|combien|code promo|reduction)\b",),
    },
    "id": {
        Intent.ORDER_STATUS: (
            r"\b(?:pesanan|paket|kiriman)(?: saya)?\b.{0,40}\b(?:di ?mana|belum (?:sampai|datang|diterima)|status)\b",
            r"\b(?:lacak|nomor resi|resi|status pengiriman|cek pesanan)\b",
            r"\bdi ?mana (?:pesanan|paket|kiriman)\b",
            r"\bbelum (?:sampai|datang|diterima)\b",
        ),
        Intent.RETURN: (
            r"\b(?:retur|pengembalian|kembalikan|refund|tukar barang)\b",
            r"\buang(?: saya)? kembali\b",
        ),
        Intent.COMPLAINT: (
            r"\b(?:kecewa|komplain|keluhan|marah|parah|buruk sekali|tidak sopan)\b",
            r"\b(?:rusak|cacat|pecah)\b",
        ),
        Intent.PRODUCT_QUESTION: (
            r"\b(?:ukuran|bahan|warna|stok|tersedia|tahan air)\b",
            r"\bapakah (?:produk|barang|ini)\b",
            r"\bapakah\b[^?]*\bbisa\b[^?]*\?",
        ),
        Intent.PURCHASE: (
            r"\b(?:beli|membeli|harga|berapa|diskon|promo|checkout)\b",
            r"\bmau pesan\b",
        ),
    },
    "ca": {
        Intent.ORDER_STATUS: (
            r"\bon es (?:la )?(?:meva |nostra )?comanda\b",
            r"\b(?:encara )?no ha arribat\b",
            r"\b(?:seguiment|paquet|enviament|lliurament)\b",
            r"\bcomanda\b.{0,40}\b(?:retard|no (?:ha )?arribat|encara no)\b",
        ),
        Intent.RETURN: (r"\b(?:devolucio|retornar|retorn|reemborsament|bescanvi|tornar els diners)\b",),
        Intent.COMPLAINT: (
            r"\b(?:queixa|reclamacio|inacceptable|decebut|decebuda|enfadat|enfadada|vergonya)\b",
            r"\b(?:trencat|trencada|malmes|malmesa|defectuos)\b",
        ),
        Intent.PRODUCT_QUESTION: (
            r"\b(?:talla|material|mida|mides|colors?|estoc|impermeable)\b",
            r"\bte (?:el|la|aquest|aquesta)\b[^?]*\?",
            r"\b(?:es pot|funciona amb|quina bombeta)\b[^?]*\?",
        ),
        Intent.PURCHASE: (r"\b(?:comprar|compra|preu|quant costa|descompte|codi promocional)\b",),
    },
}

# Common words that tell the languages apart when rules alone are ambiguous ("compatible", "disponible"...).
_MARKERS: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:the|my|is|are|where|i|you|it|and|not|with|when|have)\b"),
    "fr": re.compile(r"\b(?:le|la|les|ma|mon|mes|est|je|vous|pas|une|avec|pour|ou)\b"),
    "id": re.compile(r"\b(?:saya|yang|tidak|belum|apakah|dan|ini|itu|untuk|sudah|mau|kak)\b"),
    "ca": re.compile(r"\b(?:la|meva|meu|el|els|es|amb|per|vull|una|encara|aquest|aquesta|que)\b"),
}

_COMPILED: dict[str, dict[Intent, tuple[re.Pattern[str], ...]]] = {
    language: {intent: tuple(re.compile(p) for p in patterns) for intent, patterns in rules.items()}
    for language, rules in _RULES.items()
}


@dataclass(frozen=True)
class IntentMatch:
    """What was detected and why: the rule (`<language>.<intent>.<n>`) and the text it matched."""

    intent: Intent
    language: str
    rule: str
    matched: str
    confidence: float

    def as_detail(self) -> dict[str, object]:
        return {
            "language": self.language,
            "rule": self.rule,
            "matched": self.matched,
            "confidence": self.confidence,
        }


def _hits(text: str, language: str) -> dict[Intent, list[tuple[str, str]]]:
    """Per intent, the (rule id, matched text) of each rule of `language` that matches `text`."""
    found: dict[Intent, list[tuple[str, str]]] = {}
    for intent, patterns in _COMPILED[language].items():
        for index, pattern in enumerate(patterns):
            match = pattern.search(text)
            if match:
                found.setdefault(intent, []).append((f"{language}.{intent.value}.{index}", match.group(0)))
    return found


def detect(text: str, *, languages: tuple[str, ...] = LANGUAGES) -> IntentMatch | None:
    """The intent of one message, or None when no rule of any language matches."""
    folded = fold(text)
    if not folded:
        return None
    best: tuple[float, str, dict[Intent, list[tuple[str, str]]], int] | None = None
    for language in languages:
        hits = _hits(folded, language)
        if not hits:
            continue
        markers = len(_MARKERS[language].findall(folded))
        score = 2 * sum(len(v) for v in hits.values()) + min(markers, 5)
        if best is None or score > best[0]:
            best = (score, language, hits, markers)
    if best is None:
        return None
    _, language, hits, markers = best
    intent = max(hits, key=lambda i: (len(hits[i]), -PRIORITY.index(i)))
    rule, matched = hits[intent][0]
    confidence = min(0.95, 0.5 + 0.15 * (len(hits[intent]) - 1) + (0.15 if markers else 0.0))
    return IntentMatch(
        intent=intent, language=language, rule=rule, matched=matched, confidence=round(confidence, 2)
    )
