#!/usr/bin/env bash
# `make demo`: an SQLite database under var/, a demo business, the web server and the
# worker on http://127.0.0.1:8000. Mail goes to the in-app Outbox, never out.
set -euo pipefail
BIN=.venv/bin
export FOLLOWTHROUGH_DEMO=1
export DATABASE_URL=${DATABASE_URL:-sqlite:///$PWD/var/followthrough.sqlite3}
export WORKER_IDLE_SECONDS=${WORKER_IDLE_SECONDS:-5}
mkdir -p var

$BIN/followthrough migrate --noinput -v0
$BIN/followthrough demo

$BIN/followthrough worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM

echo "Followthrough is running on http://127.0.0.1:8000 (Ctrl+C stops it)."
$BIN/gunicorn followthrough.wsgi --bind 127.0.0.1:8000 --workers 2 --access-logfile - --log-level warning
