"""Translations: English source strings, Babel catalogs for French, Indonesian and Catalan.

Catalogs are read from the `.po` files at start-up and compiled in memory, so there is no build step to forget;
the language of a request lives in a context variable that templates and Python code share.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "id": "Bahasa Indonesia", "ca": "Català"}
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("omnicx_language", default="en")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """Compiled translations for `language` (English and unknown languages fall back to the source strings)."""
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else "en")


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` translated in `context`: the same English word can mean two things ("Medium" is a
    conversation's priority and a campaign's marketing medium), and each meaning gets its own translation."""
    return translations(_current.get()).pgettext(context, message)


def lazy(message: str) -> str:
    """Mark a string for extraction without translating it now (it is translated where it is shown)."""
    return message


def name_of(names: Mapping[str, str], key: str) -> str:
    """`key`'s name from a vocabulary of marked names (`{"desktop": lazy("Desktop")}`), translated; a key the
    vocabulary lacks (a workspace's own channel, a kind a later version added) as it stands."""
    name = names.get(key)
    return gettext(name) if name else key


def negotiate(accept_language: str, default: str) -> str:
    """Pick the best of our languages for an Accept-Language header."""
    preferred: list[str] = []
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            preferred.append(tag)
    match = Locale.negotiate(preferred, list(LANGUAGES), sep="_") if preferred else None
    return str(match.language) if match is not None and str(match.language) in LANGUAGES else default


def format_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def available(languages: Iterable[str] = LANGUAGES) -> list[tuple[str, str]]:
    return [(code, LANGUAGES[code]) for code in languages]
