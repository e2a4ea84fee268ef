"""Every write of the events app: endpoints, the emit API otp calls, delivery and its sweep."""
from .delivery import deliveries_sweep, delivery_run, retry_delay
from .emit import EventDataInvalid, EventSpec, delivery_redeliver, event_emit, events_emit
from .endpoints import (
    EndpointWithSecret,
    endpoint_secrets,
    webhook_create,
    webhook_delete,
    webhook_secret_rotate,
    webhook_update,
)

__all__ = [
    "EndpointWithSecret",
    "EventDataInvalid",
    "EventSpec",
    "deliveries_sweep",
    "delivery_redeliver",
    "delivery_run",
    "endpoint_secrets",
    "event_emit",
    "events_emit",
    "retry_delay",
    "webhook_create",
    "webhook_delete",
    "webhook_secret_rotate",
    "webhook_update",
]
