"""Opt-out and opt-in keywords of text channels (SMS, WhatsApp) in the four languages of omnicx's customers.

A message is a keyword when it is nothing else: "STOP", "Arrêt.", " berhenti " are; "stop the order" is not.
Case, accents and surrounding punctuation do not matter. English words are understood everywhere (carriers
and Twilio use them in every country).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

OPT_OUT = frozenset(
    {
        # en (the carriers' and Twilio's standard words)
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "REVOKE",
        # fr
        "ARRET", "ARRETER", "DESABONNER", "DESABONNEMENT", "DESINSCRIRE", "DESINSCRIPTION",
        # id
        "BERHENTI", "STOP SMS", "BATAL", "KELUAR",
        # ca
        "PROU", "ATURA", "ATURAR", "BAIXA", "DONAR DE BAIXA",
    }
)  # fmt: skip
OPT_IN = frozenset(
    {
        "START", "UNSTOP", "SUBSCRIBE", "OPTIN", "OPT IN",  # en
        "DEMARRER", "REPRENDRE", "ABONNER",  # fr
        "MULAI", "LANJUT", "BERLANGGANAN",  # id
        "COMENCA", "INICI", "ALTA", "DONAR D'ALTA",  # ca
    }
)  # fmt: skip


@dataclass(frozen=True)
class ConsentWord:
    opted_out: bool
    keyword: str  # as the customer wrote it, trimmed


def _folded(text: str) -> str:
    """Upper case without accents, punctuation around, and inner runs of spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.upper().strip(" \t\r\n.!?¡¿,;:-'\"()").split())


def consent_word(text: str) -> ConsentWord | None:
    """The opt-out or opt-in `text` says, if it is only that."""
    if len(text) > 40:
        return None
    folded = _folded(text)
    if folded in OPT_OUT:
        return ConsentWord(opted_out=True, keyword=text.strip())
    if folded in OPT_IN:
        return ConsentWord(opted_out=False, keyword=text.strip())
    return None
