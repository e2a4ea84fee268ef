"""Liveness and readiness probes for load balancers and orchestrators."""
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from otp.queues import ALL_QUEUES  # every queue the project publishes to, which readiness needs consumed

from .celery import app as celery_app
from .worker_presence import consumed_queues


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", 5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


def _broker() -> None:
    if celery_app.conf.task_always_eager:
        return  # no broker: tasks run in-process
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


class WorkerMissing(RuntimeError):
    """No live worker consumes some queue the project publishes to."""


def _required_queues() -> set[str]:
    return {*ALL_QUEUES, celery_app.conf.task_default_queue}


def _worker() -> None:
    """Some worker consumes every queue the project uses (not only: the broker answers)."""
    if celery_app.conf.task_always_eager:
        return  # no worker needed: tasks run in-process
    missing = _required_queues() - consumed_queues(celery_app.conf.broker_url)
    if missing:
        raise WorkerMissing(f"no worker consuming {', '.join(sorted(missing))}")


def readyz(request):
    checks = {}
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker), ("worker", _worker)):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is for the operator
            checks[name] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
