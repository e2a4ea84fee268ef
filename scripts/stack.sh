#!/usr/bin/env bash
# Full stack on one host: gunicorn (web), one Celery worker for every queue, and beat.
# Needs DATABASE_URL and REDIS_URL; production settings, so the secrets must be set too.
# Ctrl-C stops all three. On several hosts, run each line on its own (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-otpservice.settings.production}"
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-4}"

pids=()
cleanup() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait; }
trap cleanup INT TERM EXIT

$BIN/gunicorn otpservice.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WEB_CONCURRENCY" \
  --access-logfile - &
pids+=($!)
$BIN/celery -A otpservice worker --loglevel INFO --concurrency "$WORKER_CONCURRENCY" \
  --queues otp.email,otp.sms,otp.whatsapp,otp.default --prefetch-multiplier 1 &
pids+=($!)
$BIN/celery -A otpservice beat --loglevel INFO --schedule /tmp/otpservice-celerybeat-schedule &
pids+=($!)
wait -n
