"""Provider delivery-status callbacks: signatures checked, then channels move to DELIVERED/FAILED."""
from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from otpservice.errors import error_body

from .delivery.signatures import sendgrid_signature_valid, twilio_signature_valid
from .services.delivery import channel_delivery_report

logger = logging.getLogger("otp.webhooks")

TWILIO_STATES = {"delivered": "DELIVERED", "read": "DELIVERED", "failed": "FAILED", "undelivered": "FAILED"}
SENDGRID_STATES = {"delivered": "DELIVERED", "bounce": "FAILED", "dropped": "FAILED", "blocked": "FAILED"}


def _forbidden(message: str) -> JsonResponse:
    return JsonResponse(
        error_body(type="permission_error", code="invalid_signature", message=message, details={}), status=403
    )


def _public_url(request: HttpRequest) -> str:
    # Twilio signs the URL it called; behind a proxy that is the public one, not ours.
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> JsonResponse:
    params = request.POST.dict()
    if not settings.TWILIO_AUTH_TOKEN or not twilio_signature_valid(
        auth_token=settings.TWILIO_AUTH_TOKEN,
        url=_public_url(request),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
    ):
        return _forbidden("Invalid Twilio signature")
    state = TWILIO_STATES.get(params.get("MessageStatus", ""))
    if state:
        error = params.get("ErrorCode", "")
        channel_delivery_report(
            provider_message_id=params.get("MessageSid", ""),
            state=state,
            error=f"Twilio error {error}" if error else "Twilio reported the message undelivered",
        )
    return JsonResponse({"success": True})


@csrf_exempt
@require_POST
def sendgrid_events(request: HttpRequest) -> JsonResponse:
    signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
    timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
    if not settings.SENDGRID_WEBHOOK_PUBLIC_KEY or not sendgrid_signature_valid(
        public_key=settings.SENDGRID_WEBHOOK_PUBLIC_KEY, payload=request.body, signature=signature, timestamp=timestamp
    ):
        return _forbidden("Invalid SendGrid signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > settings.SENDGRID_WEBHOOK_MAX_AGE_SECONDS:
        return _forbidden("SendGrid signature timestamp is outside the accepted window")
    try:
        events = json.loads(request.body)
    except ValueError:
        events = None
    if not isinstance(events, list):
        return JsonResponse(
            error_body(type="validation_error", code="invalid_json", message="Malformed JSON: expected a list of events", details={}),
            status=400,
        )
    for event in events:
        if not isinstance(event, dict):
            continue
        state = SENDGRID_STATES.get(str(event.get("event", "")))
        # sg_message_id is the X-Message-Id we stored, followed by ".filter…".
        message_id = str(event.get("sg_message_id", "")).split(".", 1)[0]
        if state and message_id:
            channel_delivery_report(
                provider_message_id=message_id,
                state=state,
                error=f"SendGrid {event.get('event')}: {str(event.get('reason', ''))[:200]}".rstrip(": "),
            )
    return JsonResponse({"success": True})
