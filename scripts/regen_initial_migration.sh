#!/usr/bin/env bash
# Pre-release only: regenerate the single initial migration from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f src/omnicx/migrations/versions/0001_initial.py
tmp=$(mktemp -d)
python - "$tmp" <<'PY'
import sys
from alembic import command
from omnicx.migrations import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/m.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
mv src/omnicx/migrations/versions/0001_initial_schema.py src/omnicx/migrations/versions/0001_initial.py
ruff format -q src/omnicx/migrations/versions/0001_initial.py
ruff check -q --fix src/omnicx/migrations/versions/0001_initial.py || true
rm -rf "$tmp"
