"""Shared Twilio plumbing: client with timeout and base-URL override, and error mapping."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from .base import Message, PermanentDeliveryError, SendResult, TransientDeliveryError

# Operator-facing labels for the codes we expect to see; anything else shows just the number.
_KNOWN_CODES = {
    20003: "authentication failed",
    21211: "invalid 'To' number",
    21408: "destination region not enabled",
    21610: "recipient unsubscribed (STOP)",
    21612: "destination not reachable from this sender",
    21614: "'To' is not a mobile number",
    63016: "outside the WhatsApp session window; use a template",
}


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request to another base URL (local fakes, proxies), keeping path and query.

    The host is replaced whatever it is, not only api.twilio.com: the SDK rewrites hosts itself
    when TWILIO_EDGE or TWILIO_REGION is set, and a test must never reach the real Twilio.
    """

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rewritten = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, rewritten, *args, **kwargs)


def twilio_client(*, account_sid: str, auth_token: str, api_base_url: str, timeout: float) -> Client:
    # The SDK's default http client has no timeout at all, so one is always passed.
    if api_base_url:
        http_client: TwilioHttpClient = _BaseUrlHttpClient(base_url=api_base_url, timeout=timeout)
    else:
        http_client = TwilioHttpClient(timeout=timeout)
    return Client(username=account_sid, password=auth_token, http_client=http_client)


def _rejection_reason(code: int | None, status: int) -> str:
    # Twilio's own message can quote the request, so only the code and our label are kept.
    label = _KNOWN_CODES.get(code or 0)
    # Without an error body the SDK reports the HTTP status as the code; don't say it twice.
    text = f"Twilio error {code}" if code and code != status else "Twilio error"
    return f"{text} (HTTP {status}): {label}" if label else f"{text} (HTTP {status})"


class TwilioProvider:
    """Base for the Twilio channels; subclasses say how a Message becomes `messages.create` params."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_base_url: str = "",
        timeout: float = 10,
        status_callback: str = "",
    ) -> None:
        # The SDK would fall back to TWILIO_* environment variables; configuration comes from us only.
        if not (account_sid and auth_token):
            raise ValueError(f"{self.name}: account_sid and auth_token are required")
        if not (from_number or messaging_service_sid):
            raise ValueError(f"{self.name}: from_number or messaging_service_sid is required")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self.client = twilio_client(
            account_sid=account_sid, auth_token=auth_token, api_base_url=api_base_url, timeout=timeout
        )

    def message_params(self, message: Message) -> dict[str, str]:
        raise NotImplementedError

    def send(self, message: Message) -> SendResult:
        params = self.message_params(message)
        if self.messaging_service_sid:
            params["messaging_service_sid"] = self.messaging_service_sid
        if self.status_callback:
            params["status_callback"] = self.status_callback
        try:
            created = self.client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            status = int(exc.status)
            code = exc.code if isinstance(exc.code, int) else None
            error_class = TransientDeliveryError if status == 429 or status >= 500 else PermanentDeliveryError
            # Twilio's error text may echo request parameters, so it stays out of the traceback too.
            raise error_class(_rejection_reason(code, status), status=status) from None
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientDeliveryError(f"Twilio unreachable: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            # Invalid URL, schema and the like: configuration, which a retry will not fix.
            raise PermanentDeliveryError(f"Twilio request failed: {type(exc).__name__}") from exc
        return SendResult(provider=self.name, message_id=created.sid or "")


def twilio_settings() -> dict[str, Any]:
    """What every Twilio provider is built with, from settings."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return {
        "account_sid": settings.TWILIO_ACCOUNT_SID,
        "auth_token": settings.TWILIO_AUTH_TOKEN,
        "api_base_url": settings.TWILIO_API_BASE_URL,
        "timeout": settings.PROVIDER_TIMEOUT_SECONDS,
        # Twilio posts delivery reports here (otp.webhooks); none without a public address.
        "status_callback": f"{base}/api/v1/webhooks/twilio/status" if base else "",
    }
