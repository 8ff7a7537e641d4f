"""Fill catalog translations from JSON files: {"msgid": {"fr": "...", "id": "...", "ca": "..."}}.

    python scripts/translate.py translations.json [more.json ...]

A message with a context (`pgettext("priority", "Medium")`) is keyed as gettext stores it, the context and
the msgid joined by U+0004: {"priority\u0004Medium": {"fr": "Moyenne", ...}}.

Run scripts/update_catalogs.sh first so the catalogs hold every msgid; then this script sets the given
translations and lists every msgid still untranslated (exit status 1 if any).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "src/omnicx/kernel/i18n/locales"
LANGUAGES = ("fr", "id", "ca")


def main(files: list[str]) -> int:
    table: dict[str, dict[str, str]] = {}
    for name in files:
        table.update(json.loads(Path(name).read_text(encoding="utf-8")))
    missing = 0
    for lang in LANGUAGES:
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id or isinstance(message.id, tuple):
                continue
            key = f"{message.context}\x04{message.id}" if message.context else message.id
            given = table.get(key, {}).get(lang)
            if given:
                message.string = given
            if not message.string:
                missing += 1
                print(f"{lang}: untranslated: {key!r}")
        with path.open("wb") as handle:
            write_po(handle, catalog, width=110, sort_output=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
