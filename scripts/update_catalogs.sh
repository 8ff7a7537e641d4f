#!/usr/bin/env bash
# Re-extract translatable strings into messages.pot and merge them into the fr, id and ca catalogs.
# New or changed strings then need translating in src/omnicx/kernel/i18n/locales/*/LC_MESSAGES/messages.po;
# tests/web/test_i18n.py fails until every catalog translates every string.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCALES=src/omnicx/kernel/i18n/locales
pybabel -q extract -F src/omnicx/kernel/i18n/babel.cfg -k N_ -k lazy --no-location --sort-output \
  --project omnicx --copyright-holder "omnicx contributors" -o "$LOCALES/messages.pot" src/omnicx
for lang in fr id ca; do
  if [ -f "$LOCALES/$lang/LC_MESSAGES/messages.po" ]; then
    pybabel -q update --no-fuzzy-matching --ignore-obsolete -i "$LOCALES/messages.pot" -d "$LOCALES" -l "$lang"
  else
    pybabel -q init -i "$LOCALES/messages.pot" -d "$LOCALES" -l "$lang"
  fi
done
