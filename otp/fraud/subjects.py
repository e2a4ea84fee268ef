"""What the rules count by: the HMAC of a canonical recipient or of an end-user IP's bucket."""
from __future__ import annotations

from django.conf import settings

from otpservice.recipients import canonical_recipient

from .rules import subject_hash


def recipient_subject(*, channel: str, recipient: str) -> str:
    """One inbox or phone, one subject: the canonical form (case, Gmail dots and +tags) under the pepper.

    The channel is left out: SMS and WhatsApp to one number reach one person.
    """
    return subject_hash(
        pepper=settings.OTP_PEPPER, kind="recipient", value=canonical_recipient(channel=channel, recipient=recipient)
    )


def ip_subject(bucket: str) -> str:
    return subject_hash(pepper=settings.OTP_PEPPER, kind="ip", value=bucket)
