"""The one small interface every delivery provider implements."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """A rendered message ready to hand to a provider. `body` and `html` contain the code."""

    channel: str  # "email" | "sms" | "whatsapp"
    to: str  # normalized: E.164 for phones, lower-cased domain for email
    body: str
    subject: str = ""
    html: str = ""
    session_id: str = ""
    from_email: str = ""
    from_name: str = ""
    sender: str = ""  # SMS sender override
    content_sid: str = ""  # WhatsApp: a Twilio Content template instead of a free-form body
    content_variables: dict[str, str] = field(default_factory=dict)
    # Used only to mask the code where a copy of the message is stored (outbox).
    code: str = field(default="", repr=False)


@dataclass(frozen=True)
class SendResult:
    provider: str
    message_id: str


class DeliveryError(Exception):
    """A provider refused or failed; `transient` says whether retrying may help."""

    transient = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientDeliveryError(DeliveryError):
    """Timeouts, connection errors, 429 and 5xx: retry with backoff."""

    transient = True


class PermanentDeliveryError(DeliveryError):
    """Invalid or unsubscribed recipient, rejected content, bad credentials: fail at once."""


class Provider(Protocol):
    name: str

    def send(self, message: Message) -> SendResult: ...
