#!/usr/bin/env bash
# `make test`: lint, the whole suite on SQLite (browser tests included), then again on
# PostgreSQL. With CI=true nothing may be skipped: a missing browser or database fails.
set -euo pipefail
BIN=.venv/bin
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/followthrough}

echo "== lint (ruff, including the bandit security rules)"
$BIN/ruff check .

echo "== tests on SQLite"
env -u DATABASE_URL $BIN/pytest -m "not postgres" "$@"

if $BIN/python - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
psycopg.connect(url, connect_timeout=3).close()
PY
then
  echo "== tests on PostgreSQL"
  DATABASE_URL=$PG_URL $BIN/pytest -m "not browser" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, and CI=true forbids skipping its tests." >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped its run (CI never skips it)"
fi
