"""otp.session_read: the one-statement session read makes exactly what the ORM makes, and scopes as
OTPSessionQuerySet.reachable does (on whichever database the suite runs)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import account_create
from otp.exceptions import SessionNotFound
from otp.models import ChannelVerification, OTPSession
from otp.selectors import session_get
from otp.session_read import session_with_rows

pytestmark = pytest.mark.django_db


def _session(account, *, sandbox=False, channels=("email", "sms")) -> OTPSession:
    now = timezone.now()
    session = OTPSession.objects.create(
        account=account, sandbox=sandbox, required_channels=["email"], metadata={"user": "u-1", "n": [1, {"a": None}]},
        locale="pt-BR", delivery="fallback", fallback_after_seconds=30, fallback_channel="email",
        created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10), verified_at=None,
    )
    for n, channel in enumerate(channels):
        ChannelVerification.objects.create(
            session=session, channel=channel, recipient=f"r{n}", code_hash="$2b$10$x", generation=n + 2,
            claimed_at=now if n else None, verified_at=now - timedelta(seconds=n), delivery_status="SENT",
            provider="outbox", provider_message_id=f"m{n}", last_error="", fallback_due_at=None,
            template={"source": "default", "key": "otp", "locale": "pt-BR"} if n else None,
        )
    return session


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_the_session_and_its_rows_equal_what_the_orm_reads_field_by_field(account):
    session = _session(account)
    read = session_with_rows(account=account, sandbox_only=False, session_id=str(session.pk))
    orm = OTPSession.objects.prefetch_related("channel_rows").get(pk=session.pk)
    assert _fields(read) == _fields(orm)
    assert [_fields(row) for row in read.channel_rows.all()] == [_fields(row) for row in orm.channel_rows.order_by("pk")]
    assert all(row.session is read for row in read.channel_rows.all())
    # A list, not a queryset (otp/session_read.py): queryset methods fail loudly, never answer wrong.
    with pytest.raises((TypeError, AttributeError)):
        read.channel_rows.filter(channel="sms")
    assert read.metadata == {"user": "u-1", "n": [1, {"a": None}]}
    assert not read._state.adding  # saved instances, as from the ORM


def test_it_reads_only_the_accounts_sessions_and_only_sandbox_ones_for_a_test_key(account):
    live, sandbox = _session(account), _session(account, sandbox=True)
    other = account_create(name="Other").account
    assert session_with_rows(account=other, sandbox_only=False, session_id=str(live.pk)) is None
    assert session_with_rows(account=account, sandbox_only=True, session_id=str(live.pk)) is None
    assert session_with_rows(account=account, sandbox_only=True, session_id=str(sandbox.pk)).pk == sandbox.pk
    assert session_with_rows(account=account, sandbox_only=False, session_id=str(sandbox.pk)).pk == sandbox.pk


def test_an_id_that_is_not_a_uuid_is_a_value_error_and_session_get_makes_it_not_found(account):
    with pytest.raises(ValueError):
        session_with_rows(account=account, sandbox_only=False, session_id="not-a-uuid")
    with pytest.raises(SessionNotFound):
        session_get(account=account, sandbox_only=False, session_id="not-a-uuid")


def test_a_session_without_rows_is_still_found_through_the_orm(account):
    session = _session(account, channels=())
    assert session_with_rows(account=account, sandbox_only=False, session_id=str(session.pk)) is None
    found = session_get(account=account, sandbox_only=False, session_id=str(session.pk))
    assert found.pk == session.pk and list(found.channel_rows.all()) == []
