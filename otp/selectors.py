"""Reads of sessions for the API and admin, always scoped to one account."""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Account
from otpservice.api.pagination import Page, paginate

from .exceptions import SessionNotFound
from .lifecycle import status_q
from .models import ChannelVerification, OTPSession
from .session_read import session_with_rows


def _metadata_filter(queryset: QuerySet, metadata: dict[str, str]) -> QuerySet:
    """metadata.KEY=VALUE matches sessions whose metadata holds the string VALUE at KEY."""
    for key, value in metadata.items():
        if connection.vendor == "postgresql":
            # jsonb containment (@>), served by the GIN index on metadata.
            queryset = queryset.filter(metadata__contains={key: value})
        else:
            # The Cast makes this a plain text comparison: a bare KeyTextTransform still gets the
            # JSON exact lookup on SQLite, which parses VALUE as JSON ("pro" fails, "42" never matches).
            queryset = queryset.alias(_m=Cast(KeyTextTransform(key, "metadata"), TextField())).filter(_m=value)
    return queryset


def session_list(
    *,
    account: Account,
    sandbox_only: bool,
    status: str | None = None,
    channel: str | None = None,
    sandbox: bool | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    metadata: dict[str, str] | None = None,
    page: int = 1,
    limit: int = 20,
) -> Page:
    queryset = OTPSession.objects.reachable(account=account, sandbox_only=sandbox_only)
    if status:
        queryset = queryset.filter(status_q(status, timezone.now()))
    if channel:
        queryset = queryset.filter(
            Exists(ChannelVerification.objects.filter(session=OuterRef("pk"), channel=channel))
        )
    if sandbox is not None:
        queryset = queryset.filter(sandbox=sandbox)
    if created_after:
        queryset = queryset.filter(created_at__gte=created_after)
    if created_before:
        queryset = queryset.filter(created_at__lt=created_before)
    queryset = _metadata_filter(queryset, metadata or {})
    queryset = queryset.order_by("-created_at", "-id").prefetch_related("channel_rows")
    return paginate(queryset, page=page, limit=limit)


def session_get(*, account: Account, sandbox_only: bool, session_id: str) -> OTPSession:
    """The session with its channel rows, in one query (otp.session_read)."""
    try:
        session = session_with_rows(account=account, sandbox_only=sandbox_only, session_id=session_id)
        if session is None:
            # No such session, or one without rows (none is made so): the ORM tells which.
            sessions = OTPSession.objects.reachable(account=account, sandbox_only=sandbox_only)
            session = sessions.prefetch_related("channel_rows").get(pk=session_id)
    except (OTPSession.DoesNotExist, ValidationError, ValueError) as exc:
        raise SessionNotFound() from exc
    return session
