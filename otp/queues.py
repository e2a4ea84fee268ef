"""The Celery queue names, with no Django import, so settings.base can declare them (CELERY_TASK_QUEUES)."""
from .channels import CHANNELS

# One queue per channel (otp.channels).
QUEUES = {name: spec.queue for name, spec in CHANNELS.items()}
# Housekeeping (beat) and any task published without a queue of its own.
DEFAULT_QUEUE = "otp.default"
# Every queue the project publishes to: a worker started without --queues consumes them all.
ALL_QUEUES = (*QUEUES.values(), DEFAULT_QUEUE)
