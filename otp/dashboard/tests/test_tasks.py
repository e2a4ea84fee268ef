"""Beat runs the rollup: its schedule names a registered task, which writes the due days."""
from datetime import UTC, datetime

import time_machine
from django.conf import settings

from otp.dashboard.models import RollupDay
from otpservice.celery import app

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_beat_runs_the_rollup_task_which_rolls_up_the_closed_days(db):
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["otp-dashboard-rollup"]
    app.tasks[entry["task"]].apply()
    assert RollupDay.objects.count() == 29 and not RollupDay.objects.filter(day=NOW.date()).exists()
