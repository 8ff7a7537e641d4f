"""Text folding shared by search and intent rules (pure): one spelling for "Réclamation", "RECLAMATION" and
"reclamation", so customers typing without accents (common on phones) still match."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case (casefold), accents removed (NFKD minus combining marks), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def terms(query: str) -> list[str]:
    """The folded words of a search query (empty words dropped, duplicates removed, order kept)."""
    return list(dict.fromkeys(word for word in fold(query).split(" ") if word))
