"""Celery application; configuration comes from Django settings under the CELERY_ namespace."""
import os

from celery import Celery, signals

from .worker_presence import Presence

# Workers run in production unless told otherwise, like gunicorn (wsgi.py); make run never
# starts one (tasks run eagerly in the web process).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otpservice.settings.production")

app = Celery("otpservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Workers say which queues they consume; /readyz reads it (remote control is off, settings.base).
app.steps["consumer"].add(Presence)


@signals.setup_logging.connect
def keep_django_logging(**kwargs) -> None:
    """Workers log through Django's LOGGING, whose handlers scrub codes; Celery's own setup
    would replace them with unfiltered ones (and the worker is where plain codes live)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@signals.task_prerun.connect
@signals.task_postrun.connect
def database_connections_checked(sender=None, **kwargs) -> None:
    """Around each task, what Django does around each request: drop a connection past CONN_MAX_AGE
    or left unusable, and have the next query health-check a kept one (settings CELERY_DB_REUSE_MAX).
    Eager tasks run inside a request or a test's transaction, which own the connection."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
