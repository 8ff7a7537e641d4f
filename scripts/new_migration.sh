#!/usr/bin/env bash
# Generate a new Alembic revision from the difference between the models and the migrations so far.
# Usage: scripts/new_migration.sh "add inbox canned responses"   (then read and edit the generated file)
set -euo pipefail
cd "$(dirname "$0")/.."
message="${1:?usage: scripts/new_migration.sh MESSAGE}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python - "$tmp" "$message" <<'PY'
import sys
from alembic import command
from omnicx.app.migrations import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/m.db")
command.upgrade(cfg, "head")
command.revision(cfg, message=sys.argv[2], autogenerate=True)
PY
ruff format -q src/omnicx/app/migrations/versions/
ruff check -q --fix src/omnicx/app/migrations/versions/ || true
