"""A session's history for its admin page: each channel's attempts, provider reports and template.

Built from what the rows record (never a code or its hash): the session's own times, each
channel row, its DeliveryAttempt rows (sends, retries, failures, provider callbacks) and the
template that wrote its current message (ChannelVerification.template).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from .lifecycle import session_status
from .models import ChannelVerification, DeliveryAttempt, OTPSession
from .states import LIVE_STATUSES, SessionStatus

Outcome = DeliveryAttempt.Outcome
_KIND = {
    Outcome.SENT: "sent",
    Outcome.RETRY: "retry",
    Outcome.FAILED: "failed",
    Outcome.DELIVERED: "delivered",
    Outcome.UNDELIVERED: "failed",
}


@dataclass
class Event:
    at: datetime
    kind: str  # a CSS class: created, sent, retry, failed, delivered, verified, ended
    label: str
    detail: str = ""


@dataclass
class ChannelHistory:
    channel: str
    recipient: str
    delivery_status: str
    template: str
    events: list[Event] = field(default_factory=list)


def template_label(served: dict | None) -> str:
    """{source, key, locale, version} as words; the row keeps only its current message's."""
    if not served:
        return "not rendered yet (sandbox, or not sent)"
    locale = served.get("locale") or "any locale"
    if served.get("source") == "custom":
        return f"custom template {served.get('key')} ({locale}), version {served.get('version')}"
    return f"built-in default {served.get('key')} ({locale})"


def _attempt_event(attempt: DeliveryAttempt) -> Event:
    words = {
        Outcome.SENT: "Sent",
        Outcome.RETRY: "Send failed, will retry",
        Outcome.FAILED: "Failed",
        Outcome.DELIVERED: "Provider reported delivered",
        Outcome.UNDELIVERED: "Provider reported not delivered",
    }
    label = words.get(attempt.outcome, attempt.outcome)
    if attempt.provider:
        label += f" ({attempt.provider})"
    detail = [f"code generation {attempt.generation}"]
    if attempt.provider_message_id:
        detail.append(f"message {attempt.provider_message_id}")
    if attempt.error:
        detail.append(attempt.error)
    return Event(at=attempt.attempted_at, kind=_KIND.get(attempt.outcome, "sent"), label=label, detail=" · ".join(detail))


def channel_history(row: ChannelVerification) -> ChannelHistory:
    events = [_attempt_event(attempt) for attempt in row.attempts.all()]
    if row.verified_at:
        events.append(Event(at=row.verified_at, kind="verified", label="Code verified"))
    events.sort(key=lambda event: event.at)
    return ChannelHistory(
        channel=row.get_channel_display(),
        recipient=row.recipient,
        delivery_status=row.get_delivery_status_display(),
        template=template_label(row.template),
        events=events,
    )


def session_events(session: OTPSession, *, now: datetime) -> list[Event]:
    events = [Event(at=session.created_at, kind="created", label="Session created", detail=_created_detail(session))]
    if session.resend_count and session.last_sent_at > session.created_at:
        events.append(Event(at=session.last_sent_at, kind="sent", label=f"Resent (resend {session.resend_count})"))
    if session.verified_at:
        events.append(Event(at=session.verified_at, kind="verified", label="Session verified"))
    status = session_status(session, now=now)
    if status == SessionStatus.EXPIRED:
        events.append(Event(at=session.expires_at, kind="ended", label="Expired"))
    elif status in LIVE_STATUSES:
        events.append(Event(at=session.expires_at, kind="pending", label="Expires", detail="unless verified first"))
    events.sort(key=lambda event: event.at)
    return events


def _created_detail(session: OTPSession) -> str:
    parts = [f"strategy {session.get_verification_strategy_display().lower()}"]
    if session.sandbox:
        parts.append("sandbox: nothing delivered or charged")
    if session.locale:
        parts.append(f"locale {session.locale}")
    return " · ".join(parts)


def timeline_html(session: OTPSession) -> str:
    now = timezone.now()
    rows = session.channel_rows.order_by("pk").prefetch_related("attempts")
    context = {
        "status": session_status(session, now=now),
        "session_events": session_events(session, now=now),
        "channels": [channel_history(row) for row in rows],
    }
    return render_to_string("admin/otp/otpsession/timeline.html", context)
