"""Email through SendGrid's v3 Mail Send API."""
from __future__ import annotations

import http.client

from django.conf import settings
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import From, Mail, To
from sendgrid.helpers.mail.exceptions import SendGridException

from .base import Message, PermanentDeliveryError, SendResult, TransientDeliveryError


class SendGridEmailProvider:
    name = "sendgrid"

    def __init__(
        self,
        *,
        api_key: str,
        from_email: str,
        from_name: str = "",
        api_base_url: str = "",
        timeout: float = 10,
    ) -> None:
        # The SDK would fall back to SENDGRID_API_KEY from the environment; configuration comes from us only.
        if not (api_key and from_email):
            raise ValueError("sendgrid: api_key and from_email are required")
        self.from_email = from_email
        self.from_name = from_name
        self.timeout = timeout
        if api_base_url:
            self.client = SendGridAPIClient(api_key=api_key, host=api_base_url.rstrip("/"))
        else:
            self.client = SendGridAPIClient(api_key=api_key)

    def build_mail(self, message: Message) -> Mail:
        sender = From(message.from_email or self.from_email, message.from_name or self.from_name or None)
        return Mail(
            from_email=sender,
            to_emails=To(message.to),
            subject=message.subject,
            plain_text_content=message.body or None,
            html_content=message.html or None,
        )

    def send(self, message: Message) -> SendResult:
        try:
            payload = self.build_mail(message).get()
            # SendGridAPIClient.send() has no timeout and urllib's default is none at all, so the
            # call goes through the same endpoint with the per-request timeout python_http_client offers.
            response = self.client.client.mail.send.post(request_body=payload, timeout=self.timeout)
        except HTTPError as exc:
            status = int(exc.status_code)
            error_class = TransientDeliveryError if status == 429 or status >= 500 else PermanentDeliveryError
            # SendGrid's error body can quote the request, so only the status is kept.
            raise error_class(f"SendGrid error (HTTP {status})", status=status) from None
        except SendGridException:
            # The helper refuses content that looks like an API key; retrying cannot change that.
            raise PermanentDeliveryError("SendGrid refused to build the message") from None
        except (OSError, http.client.HTTPException) as exc:
            # urllib raises URLError (an OSError) for refused connections and connect timeouts,
            # a bare TimeoutError for read timeouts, and HTTPException for broken responses.
            raise TransientDeliveryError(f"SendGrid unreachable: {type(exc).__name__}") from exc
        message_id = response.headers.get("X-Message-Id", "") if response.headers else ""
        return SendResult(provider=self.name, message_id=message_id)


def provider_from_settings() -> SendGridEmailProvider:
    return SendGridEmailProvider(
        api_key=settings.SENDGRID_API_KEY,
        from_email=settings.SENDGRID_FROM_EMAIL,
        from_name=settings.SENDGRID_FROM_NAME,
        api_base_url=settings.SENDGRID_API_BASE_URL,
        timeout=settings.PROVIDER_TIMEOUT_SECONDS,
    )
