"""Celery application; configuration comes from Django settings under the CELERY_ namespace."""
import os

from celery import Celery

# Workers run in production unless told otherwise, like gunicorn (wsgi.py); make run never
# starts one (tasks run eagerly in the web process).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otpservice.settings.production")

app = Celery("otpservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
