"""Liveness and readiness probes for load balancers and orchestrators."""
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from otp.queues import ALL_QUEUES  # every queue the project publishes to, which readiness needs consumed

from .celery import app as celery_app
from .worker_presence import consumed_queues


def healthz(request):
    return JsonResponse({"status": "ok"})


OK = "ok"
# No broker or worker to reach: Celery runs tasks in the web process (no CELERY_BROKER_URL, make
# run). Ready, but not "ok": nothing was reached.
EAGER = "eager"


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def _cache() -> str:
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")
    return OK


def _broker() -> str:
    if celery_app.conf.task_always_eager:
        return EAGER
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return OK


class WorkerMissing(RuntimeError):
    """No live worker consumes some queue the project publishes to."""


def _required_queues() -> set[str]:
    return {*ALL_QUEUES, celery_app.conf.task_default_queue}


def _worker() -> str:
    """Some worker consumes every queue the project uses (not only: the broker answers)."""
    if celery_app.conf.task_always_eager:
        return EAGER
    missing = _required_queues() - consumed_queues(celery_app.conf.broker_url)
    if missing:
        raise WorkerMissing(f"no worker consuming {', '.join(sorted(missing))}")
    return OK


def readyz(request):
    """200 when every check is `ok` (or `eager`, for the broker and worker in-process); else 503."""
    checks = {}
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker), ("worker", _worker)):
        try:
            checks[name] = probe()
        except Exception as exc:  # any failure means not ready; the reason is for the operator
            checks[name] = f"error: {exc.__class__.__name__}"
    ready = all(value in (OK, EAGER) for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
