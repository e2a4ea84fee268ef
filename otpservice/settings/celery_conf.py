"""Celery settings, read by otpservice.celery through Django's settings (the CELERY_ namespace)."""
from kombu import Exchange, Queue

from events.queues import ALL_QUEUES as EVENT_QUEUES
from otp.queues import ALL_QUEUES, DEFAULT_QUEUE

from .env import REDIS_URL, env

# Celery: with no broker configured, tasks run eagerly in the web process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery's eager publish still builds a producer: with no URL kombu would make an AMQP one for
    # localhost and warn. The in-memory transport connects to nothing (with a hostname, or kombu
    # warns that none was supplied).
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
# Every queue declared here, as Celery would create it: `celery -A otpservice worker` with no
# --queues consumes them all, so none (above all otp.default) is left without a worker.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in (*ALL_QUEUES, *EVENT_QUEUES)
]
# Celery's Django fixup closes the database connection before and after every task unless this is
# set (celery#9824, 5.5+): each delivery then opened a new PostgreSQL connection, a backend fork with
# cold catalog caches, ~20 ms of CPU of a ~80 ms delivery (docs/benchmarks.md). With it, a worker
# process keeps its connection and the fixup closes it only every 2 x this many tasks; before and
# after each task otpservice.celery runs what Django runs around a request (close_old_connections:
# CONN_MAX_AGE, health checks, a connection left broken by an error is dropped). Celery closes by
# default because a time limit's signal can interrupt a query and leave the connection unusable yet
# undetected; no task here has a time limit. 0 restores Celery's default.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000) or None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A lost broker is retried for as long as it takes (the default gives up after 100 tries and exits).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# No remote control (pidbox): with celery 5.7.0, the latest release, its Redis PUBLISH/SUBSCRIBE
# socket on the consumer's connection can report a lost broker before the task consumer's pending
# BRPOP does; the consumer then closes that connection twice and the second close restores the
# unacknowledged messages through a transport collect() has already detached: "Unrecoverable
# error: AttributeError('NoneType' object has no attribute 'hostname')" and the worker exits.
# Gossip and mingle subscribe on that connection as well: workers run --without-gossip
# --without-mingle (scripts/stack.sh). Readiness comes from otpservice.worker_presence instead.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# A task that is not acknowledged within this window is handed to another worker (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}

CELERY_BEAT_SCHEDULE = {
    "otp-housekeeping": {
        "task": "otp.housekeeping",
        "schedule": env.float("OTP_HOUSEKEEPING_INTERVAL_SECONDS", default=60.0),
        "options": {"queue": DEFAULT_QUEUE},
    },
    # The admin dashboard's daily rollup (otp.dashboard.services): closed days, a few queries a run.
    "otp-dashboard-rollup": {
        "task": "otp.dashboard_rollup",
        "schedule": env.float("OTP_DASHBOARD_ROLLUP_INTERVAL_SECONDS", default=300.0),
        "options": {"queue": DEFAULT_QUEUE},
    },
    # Fallback chains whose due time passed without their countdown task (otp.delivery.fallback).
    "otp-fallback-sweep": {
        "task": "otp.fallback_sweep",
        "schedule": env.float("OTP_FALLBACK_SWEEP_INTERVAL_SECONDS", default=10.0),
        "options": {"queue": DEFAULT_QUEUE},
    },
    # Webhook deliveries whose task was lost or whose retry is due (events.services.delivery), and
    # old events purged; on the webhook queue, beside the deliveries.
    "events-webhook-sweep": {
        "task": "events.sweep_deliveries",
        "schedule": env.float("OTP_WEBHOOKS_SWEEP_INTERVAL_SECONDS", default=30.0),
        "options": {"queue": EVENT_QUEUES[0]},
    },
}
