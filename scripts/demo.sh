#!/usr/bin/env bash
# `make demo`: an SQLite database under var/, a demo business, the web server and the
# worker on http://127.0.0.1:$PORT (8000 unless PORT says otherwise). Mail goes to the
# in-app Outbox, never out.
set -euo pipefail
BIN=.venv/bin
PORT=${PORT:-8000}
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
  echo "PORT must be a number from 1 to 65535, not '$PORT'." >&2
  exit 2
fi
ADDRESS="http://127.0.0.1:$PORT"
export FOLLOWTHROUGH_DEMO=1
export DATABASE_URL=${DATABASE_URL:-sqlite:///$PWD/var/followthrough.sqlite3}
export WORKER_IDLE_SECONDS=${WORKER_IDLE_SECONDS:-5}
# Links in the demo's messages (surveys, unsubscribe, invitations) point at this server.
export SITE_URL=${SITE_URL:-$ADDRESS}
mkdir -p var

$BIN/followthrough migrate --noinput -v0
$BIN/followthrough demo --address "$ADDRESS"

$BIN/followthrough worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM

echo "Followthrough is running on $ADDRESS (Ctrl+C stops it)."
$BIN/gunicorn followthrough.wsgi --bind "127.0.0.1:$PORT" --workers 2 --access-logfile - \
  --log-level warning
