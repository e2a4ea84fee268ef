"""Celery glue: the dashboard rollup, run by beat (settings CELERY_BEAT_SCHEDULE)."""
import logging

from celery import shared_task
from django.utils import timezone

from .services import dashboard_rollup

logger = logging.getLogger("otp.tasks")


@shared_task(name="otp.dashboard_rollup", ignore_result=True)
def dashboard_rollup_task() -> None:
    result = dashboard_rollup(now=timezone.now())
    logger.info("Dashboard rollup: %s", result)
