#!/usr/bin/env bash
# Full stack on one host: gunicorn (web), one Celery worker for every queue, and beat.
# Needs DATABASE_URL and REDIS_URL; production settings, so the secrets must be set too.
# Each process is supervised: when one exits it is started again (after 1 s, doubling up to
# 30 s while it keeps failing), and the others keep running. Ctrl-C or TERM stops all three.
# On several hosts, run each line under your own supervisor (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-otpservice.settings.production}"
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-4}"
BEAT_SCHEDULE="${BEAT_SCHEDULE:-/tmp/otpservice-celerybeat-schedule}"
BACKOFF_MAX=30
# Every process of this stack counts into one directory, which /metrics adds up (docs/operations.md);
# emptied first: files left by an earlier run would add its counts again.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/otpservice-metrics-$PORT}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name "*.db" -delete
# A run this long counts as healthy: the next restart waits 1 s again.
HEALTHY_SECONDS=60

# supervise NAME COMMAND...: run COMMAND, start it again whenever it exits, until TERM.
supervise() {
  local name=$1 child="" stopping="" delay=1 started status
  shift
  set +e
  trap 'stopping=1; [[ -n $child ]] && kill -TERM "$child" 2>/dev/null' TERM INT
  while [[ -z $stopping ]]; do
    started=$SECONDS
    "$@" &
    child=$!
    wait "$child"
    status=$?
    # wait returns early when the trap runs; the child is still shutting down.
    while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
    child=""
    [[ -n $stopping ]] && break
    (( SECONDS - started >= HEALTHY_SECONDS )) && delay=1
    echo "stack: $name exited with status $status; restarting in ${delay}s" >&2
    sleep "$delay" &
    wait $! || true
    delay=$(( delay * 2 > BACKOFF_MAX ? BACKOFF_MAX : delay * 2 ))
  done
  exit 0
}

pids=()
stop() {
  trap - INT TERM EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

supervise web $BIN/gunicorn otpservice.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WEB_CONCURRENCY" \
  --config python:otpservice.gunicorn_conf --access-logfile - &
pids+=($!)
# Gossip and mingle subscribe on the consumer's broker connection, which celery 5.7.0 cannot lose
# safely (otpservice/settings/celery_conf.py, remote control); a single-host stack needs neither.
# No --queues: the worker consumes every queue in CELERY_TASK_QUEUES.
supervise worker $BIN/celery -A otpservice worker --loglevel INFO --concurrency "$WORKER_CONCURRENCY" \
  --prefetch-multiplier 1 --without-gossip --without-mingle &
pids+=($!)
supervise beat $BIN/celery -A otpservice beat --loglevel INFO --schedule "$BEAT_SCHEDULE" &
pids+=($!)
wait
