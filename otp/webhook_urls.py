"""Routes of provider callbacks (signed by the provider, not by an API key)."""
from django.urls import re_path

from .webhooks import sendgrid_events, twilio_status

urlpatterns = [
    re_path(r"^webhooks/twilio/status/?$", twilio_status, name="webhook-twilio-status"),
    re_path(r"^webhooks/sendgrid/events/?$", sendgrid_events, name="webhook-sendgrid-events"),
]
