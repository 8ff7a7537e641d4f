"""How many SMS a text costs: GSM-7 when every character is in the GSM 03.38 alphabet (160 per message, 153
per part of a longer one; the extension table's characters count twice), else UCS-2 (70, 67 per part, counted
in UTF-16 code units, so an emoji counts twice). Shown to the agent while typing; the composer's script counts
the same way (`kernel/web/static/sms.js`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class Segments:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def count(text: str) -> Segments:
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        units = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return Segments(Encoding.GSM7, units, _parts(units, single=160, part=153))
    units = len(text.encode("utf-16-le")) // 2
    return Segments(Encoding.UCS2, units, _parts(units, single=70, part=67))


def _parts(units: int, *, single: int, part: int) -> int:
    if units <= single:
        return 1 if units else 0
    return -(-units // part)
