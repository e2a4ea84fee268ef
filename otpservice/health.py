"""Liveness and readiness probes for load balancers and orchestrators."""
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from .celery import app as celery_app


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


def readyz(request):
    checks = {}
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is for the operator
            checks[name] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
