"""Building traffic for the dashboard tests straight in the tables, at chosen times."""
from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from otp.models import ChannelVerification, DeliveryStatus, OTPSession, SessionStatus
from wallet.models import Price
from wallet.services import wallet_charge, wallet_refund_channel

PRICES = {"email": 100, "sms": 500, "whatsapp": 300}


def prices_set() -> None:
    for channel, amount in PRICES.items():
        Price.objects.update_or_create(account=None, channel=channel, defaults={"amount": amount})


def session_make(
    account, *, created: datetime, channels: dict[str, dict], status=SessionStatus.PENDING, sandbox=False,
    expiry_minutes: int = 10,
) -> OTPSession:
    """One session and its channel rows; each channel dict may set delivery_status, verified,
    generation and last_error."""
    session = OTPSession.objects.create(
        account=account, created_at=created, last_sent_at=created, expires_at=created + timedelta(minutes=expiry_minutes),
        status=status, sandbox=sandbox, expiry_minutes=expiry_minutes,
    )
    ChannelVerification.objects.bulk_create([
        ChannelVerification(
            session=session, channel=channel, recipient="a@example.com" if channel == "email" else "+14155550100",
            delivery_status=spec.get("delivery_status", DeliveryStatus.SENT),
            verified_at=created + timedelta(minutes=1) if spec.get("verified") else None,
            generation=spec.get("generation", 1), last_error=spec.get("last_error", ""),
        )
        for channel, spec in channels.items()
    ])
    return session


def charge_at(when: datetime, *, account, session, generations: dict[str, int]) -> None:
    with time_machine.travel(when, tick=False):
        wallet_charge(account=account, session_id=session.pk, generations=generations, actor="test")


def refund_at(when: datetime, *, session, channel: str, generation: int = 1) -> None:
    with time_machine.travel(when, tick=False):
        wallet_refund_channel(session_id=session.pk, channel=channel, generation=generation)
