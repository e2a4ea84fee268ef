"""The events otp emits to the integrator's webhooks (DESIGN §9), each in the transaction of its change.

Every event's data is built here from a session and never from a channel row's code or hash: its
id, its effective status after the change (otp.lifecycle), sandbox, metadata, and where a channel is
concerned its name and delivery status (and a reason). events.services writes only the events some
endpoint subscribes to, so with no endpoint an emit costs one query.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone

from events.services import EventSpec, events_emit
from events.types import EventType

from .lifecycle import session_status
from .models import OTPSession

__all__ = ["EventType", "channel_event", "channel_row_event", "session_data", "session_events", "sessions_events"]

# What a channel event needs of its session: read fresh, in the transaction of the change.
SESSION_FIELDS = (
    "id", "account_id", "status", "expires_at", "sandbox", "metadata", "delivery", "fallback_after_seconds", "fallback_channel",
)


def session_data(session: OTPSession, *, now: datetime, **extra: Any) -> dict[str, Any]:
    """An event's data: the session as a reader sees it now, and `extra` (channel, delivery_status, reason, …)."""
    return {
        "session_id": str(session.pk),
        "status": session_status(session, now=now),
        "sandbox": session.sandbox,
        "metadata": session.metadata,
        **{key: value for key, value in extra.items() if value is not None},
    }


def session_events(*, session: OTPSession, events: list[tuple[str, dict[str, Any]]], now: datetime | None = None) -> None:
    """Emit `events` ([(type, extra data)]) about one session, in one batch."""
    sessions_events(items=[(session, type, extra) for type, extra in events], now=now)


def sessions_events(*, items: list[tuple[OTPSession, str, dict[str, Any]]], now: datetime | None = None) -> None:
    """Emit one event per (session, type, extra) in one batch: one query when nobody listens."""
    now = now or timezone.now()
    events_emit(
        events=[
            EventSpec(account_id=session.account_id, type=type, data=session_data(session, now=now, **extra))
            for session, type, extra in items
        ],
        now=now,
    )


def session_for_event(session_id) -> OTPSession | None:
    """The session of a channel row, read fresh (its status may have moved since the row was read)."""
    return OTPSession.objects.only(*SESSION_FIELDS).filter(pk=session_id).first()


def channel_row_event(
    *, row_id: int, type: str, delivery_status: str, now: datetime | None = None, **extra: Any
) -> OTPSession | None:
    """Emit one event about a channel row known by id: its session and channel read in one query.
    Returns the session, with the row's channel as `event_channel`."""
    session = (
        OTPSession.objects.only(*SESSION_FIELDS)
        .filter(channel_rows=row_id)
        .annotate(event_channel=F("channel_rows__channel"))
        .order_by()
        .first()
    )
    if session is not None:
        channel_event(
            session=session, type=type, channel=session.event_channel, delivery_status=delivery_status, now=now, **extra
        )
    return session


def channel_event(
    *,
    session: OTPSession | None = None,
    session_id=None,
    type: str,
    channel: str,
    delivery_status: str,
    now: datetime | None = None,
    **extra: Any,
) -> OTPSession | None:
    """Emit one channel event (the session given, or read by `session_id`); returns the session."""
    if session is None:
        session = session_for_event(session_id)
        if session is None:  # purged meanwhile: nobody to tell
            return None
    session_events(
        session=session, events=[(type, {"channel": channel, "delivery_status": delivery_status, **extra})], now=now
    )
    return session
