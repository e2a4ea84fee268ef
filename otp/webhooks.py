"""Provider delivery-status callbacks: signatures checked, then channels move to DELIVERED/FAILED."""
from __future__ import annotations

import logging
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from otpservice.errors import ServiceError, error_body
from otpservice.parsers import json_loads
from otpservice.text import printable, text_problem

from .delivery.signatures import sendgrid_signature_valid, twilio_signature_valid
from .delivery.state import channel_delivery_report

logger = logging.getLogger("otp.webhooks")

TWILIO_STATES = {"delivered": "DELIVERED", "read": "DELIVERED", "failed": "FAILED", "undelivered": "FAILED"}
SENDGRID_STATES = {"delivered": "DELIVERED", "bounce": "FAILED", "dropped": "FAILED", "blocked": "FAILED"}

# SendGrid posts events in batches that reach hundreds of KB, far over the public API's 64 KB
# (settings.MAX_REQUEST_BODY_BYTES). Django's DATA_UPLOAD_MAX_MEMORY_SIZE (64 KB too) guards
# request.body and request.POST, so these views read the body from the stream under their own bound.
PROVIDER_BODY_MAX_BYTES = 1024 * 1024


def _error(status: int, type: str, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(type=type, code=code, message=message, details={}), status=status)


def _forbidden(message: str) -> JsonResponse:
    return _error(403, "permission_error", "invalid_signature", message)


def _provider_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over PROVIDER_BODY_MAX_BYTES (declared or actual)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > PROVIDER_BODY_MAX_BYTES:
        return None
    raw = request.read(PROVIDER_BODY_MAX_BYTES + 1)
    return raw if len(raw) <= PROVIDER_BODY_MAX_BYTES else None


def _too_large() -> JsonResponse:
    return _error(413, "validation_error", "payload_too_large", "Request body over 1 MB")


def _storable_id(value: object) -> str:
    """A provider message id as we stored it, or "" when it holds text no stored id can (NUL…)."""
    text = str(value)
    return "" if text_problem(text) else text


def _public_url(request: HttpRequest) -> str:
    # Twilio signs the URL it called; behind a proxy that is the public one, not ours.
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> JsonResponse:
    raw = _provider_body(request)
    if raw is None:
        return _too_large()
    # Twilio posts a urlencoded form; anything else has no parameters (and fails the signature).
    form = request.content_type == "application/x-www-form-urlencoded"
    params = QueryDict(raw, encoding=request.encoding).dict() if form else {}
    if not settings.TWILIO_AUTH_TOKEN or not twilio_signature_valid(
        auth_token=settings.TWILIO_AUTH_TOKEN,
        url=_public_url(request),
        params=params,
        signature=request.headers.get("X-Twilio-Signature", ""),
    ):
        return _forbidden("Invalid Twilio signature")
    state = TWILIO_STATES.get(params.get("MessageStatus", ""))
    message_id = _storable_id(params.get("MessageSid", ""))
    if state and message_id:
        error = printable(params.get("ErrorCode", ""))[:200]
        channel_delivery_report(
            provider_message_id=message_id,
            state=state,
            error=f"Twilio error {error}" if error else "Twilio reported the message undelivered",
        )
    return JsonResponse({"success": True})


@csrf_exempt
@require_POST
def sendgrid_events(request: HttpRequest) -> JsonResponse:
    raw = _provider_body(request)
    if raw is None:
        return _too_large()
    signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
    timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
    if not settings.SENDGRID_WEBHOOK_PUBLIC_KEY or not sendgrid_signature_valid(
        public_key=settings.SENDGRID_WEBHOOK_PUBLIC_KEY, payload=raw, signature=signature, timestamp=timestamp
    ):
        return _forbidden("Invalid SendGrid signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > settings.SENDGRID_WEBHOOK_MAX_AGE_SECONDS:
        return _forbidden("SendGrid signature timestamp is outside the accepted window")
    try:
        # Text is not checked here: one event with a NUL must not refuse the whole batch; ids and
        # reasons are checked or escaped one by one below.
        events = json_loads(raw, check_text=False)
    except ServiceError:
        events = None
    if not isinstance(events, list):
        return _error(400, "validation_error", "invalid_json", "Malformed JSON: expected a list of events")
    for event in events:
        if not isinstance(event, dict):
            continue
        state = SENDGRID_STATES.get(str(event.get("event", "")))
        # sg_message_id is the X-Message-Id we stored, followed by ".filter…".
        message_id = _storable_id(event.get("sg_message_id", "")).split(".", 1)[0]
        if state and message_id:
            reason = printable(str(event.get("reason", "")))[:200]
            channel_delivery_report(
                provider_message_id=message_id,
                state=state,
                error=f"SendGrid {event.get('event')}: {reason}".rstrip(": "),
            )
    return JsonResponse({"success": True})
