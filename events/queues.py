"""The Celery queue of webhook deliveries, with no Django import, so settings.base can declare it."""

# Deliveries and their sweep: a slow receiver must not hold up the OTP channels' queues.
WEBHOOK_QUEUE = "events.webhooks"
ALL_QUEUES = (WEBHOOK_QUEUE,)
