"""Every user-visible string is translated in French, Indonesian and Catalan, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from omnicx.kernel.i18n import LOCALES_DIR, gettext, pgettext, set_language, translations

SRC = Path(__file__).resolve().parents[2] / "src" / "omnicx"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


#: A message's identity: its context (None for most) and its msgid; "Medium" the priority and "Medium" the
#: marketing medium are two messages.
Key = tuple[str | None, str]


def _source_messages() -> set[Key]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[Key] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(SRC),
        method_map,
        options,
        keywords={
            "_": None,
            "gettext": None,
            "ngettext": (1, 2),
            "pgettext": ((1, "c"), 2),
            "N_": None,
            "lazy": None,
        },
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.fixture(scope="module")
def source_messages() -> set[Key]:
    messages = _source_messages()
    assert len(messages) > 50
    return messages


@pytest.mark.parametrize("language", ["fr", "id", "ca"])
def test_catalog_translates_every_source_string(language: str, source_messages: set[Key]) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated: dict[Key, str] = {}
    for message in catalog:
        if message.id and message.string and "fuzzy" not in message.flags:
            key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
            translated[key] = message.string if isinstance(message.string, str) else message.string[0]
    missing = sorted(source_messages - set(translated))
    assert not missing, (
        f"{language} misses {len(missing)} strings (run scripts/update_catalogs.sh): {missing[:10]}"
    )
    for (_context, msgid), msgstr in translated.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (language, msgid)


def test_source_marks_priority_and_status_labels_in_their_own_context(source_messages: set[Key]) -> None:
    assert {("priority", "Medium"), ("conversation status", "Pending"), (None, "Medium")} <= source_messages


def test_a_word_with_two_meanings_is_translated_once_per_meaning() -> None:
    set_language("fr")
    try:
        assert gettext("Medium") == "Support"  # a campaign's marketing medium (utm_medium)
        assert pgettext("priority", "Medium") == "Moyenne"  # a conversation's priority
    finally:
        set_language("en")


def test_translations_are_used_at_runtime() -> None:
    set_language("fr")
    assert translations("fr").gettext("Settings") == "Paramètres"
    assert translations("ca").gettext("Sign in") == "Inicia la sessió"
    assert translations("id").gettext("Overview") == "Ringkasan"
    set_language("en")
