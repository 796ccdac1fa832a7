#!/usr/bin/env bash
# Run the distributed mode on this machine: daphne, one Celery worker and celery
# beat, against PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). Ctrl+C stops all
# three, and so does any one of them exiting.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/storyengine}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BIN=.venv/bin

# Django creates tables, not the database itself.
"$BIN/python" - <<'EOF'
import os

import dj_database_url
import psycopg
from psycopg import sql

params = dj_database_url.parse(os.environ["DATABASE_URL"])
server = {
    "host": params["HOST"] or "127.0.0.1",
    "port": params["PORT"] or 5432,
    "user": params["USER"],
    "password": params["PASSWORD"] or None,
}
with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
    exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]).fetchone()
    if not exists:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
        print(f"Created the PostgreSQL database {params['NAME']}")
EOF
"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0

daphne_pid=""
worker_pid=""
beat_pid=""

# Seconds the three processes get to exit before they are killed.
STOP_GRACE_SECONDS=15

running() {
  # An exited child stays a zombie until `wait` reaps it, and kill -0 succeeds on one.
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [ -n "$state" ] && [ "${state:0:1}" != "Z" ]
}

stop() {
  trap - INT TERM EXIT
  echo "Stopping daphne, the worker and beat"
  [ -n "$daphne_pid" ] && kill -TERM "$daphne_pid" 2>/dev/null || true
  [ -n "$beat_pid" ] && kill -TERM "$beat_pid" 2>/dev/null || true
  # QUIT is the worker's cold shutdown: a job in progress stops at once and its
  # unacknowledged message goes back to the queue, so the next start resumes it
  # from its checkpoint. TERM would wait for the job to finish.
  [ -n "$worker_pid" ] && kill -QUIT "$worker_pid" 2>/dev/null || true

  # daphne can hang at exit while a request's worker thread waits for the stopped
  # event loop (seen with an event stream open when the worker died), so a process
  # still running after the grace time is killed.
  local pid left deadline=$((SECONDS + STOP_GRACE_SECONDS))
  while :; do
    left=""
    for pid in $daphne_pid $worker_pid $beat_pid; do
      if running "$pid"; then left="$left $pid"; fi
    done
    if [ -z "$left" ] || [ "$SECONDS" -ge "$deadline" ]; then
      break
    fi
    sleep 0.5
  done
  for pid in $left; do
    echo "Process $pid did not stop within $STOP_GRACE_SECONDS s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

echo "Serving on http://$HOST:$PORT/ with one worker and beat (Ctrl+C stops all three)"
"$BIN/daphne" -b "$HOST" -p "$PORT" storyengine.asgi:application &
daphne_pid=$!
"$BIN/celery" -A storyengine worker -Q generation,maintenance --concurrency 1 --prefetch-multiplier 1 \
  --loglevel INFO --hostname "generation@%h" &
worker_pid=$!
"$BIN/celery" -A storyengine beat --loglevel INFO &
beat_pid=$!

status=0
wait -n || status=$?
echo "A process exited with status $status; stopping the others"
exit "$status"
