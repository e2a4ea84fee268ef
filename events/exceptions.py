"""Errors of the webhooks API."""
from otpservice.errors import NotFound, ServiceError


class WebhookUrlInvalid(ServiceError):
    code = "invalid_webhook_url"
    message = "Invalid webhook URL"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    message = "Webhook endpoint not found"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "Webhook delivery not found"


class WebhookLimitReached(ServiceError):
    status_code = 409
    code = "webhook_limit_reached"
    message = "Webhook endpoint limit reached"


class DeliveryInProgress(ServiceError):
    status_code = 409
    code = "delivery_in_progress"
    message = "Delivery in progress: an attempt is running; try again when it has finished"


class WebhookDisabled(ServiceError):
    status_code = 409
    code = "webhook_disabled"
    message = "Webhook endpoint disabled: enable it (is_active true) to redeliver"
