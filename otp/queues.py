"""The Celery queue names, with no Django import, so settings.base can declare them (CELERY_TASK_QUEUES)."""

# One queue per channel, so a slow provider cannot hold up the others (docs/operations.md).
QUEUES = {"email": "otp.email", "sms": "otp.sms", "whatsapp": "otp.whatsapp"}
# Housekeeping (beat) and any task published without a queue of its own.
DEFAULT_QUEUE = "otp.default"
# Every queue the project publishes to: a worker started without --queues consumes them all.
ALL_QUEUES = (*QUEUES.values(), DEFAULT_QUEUE)
