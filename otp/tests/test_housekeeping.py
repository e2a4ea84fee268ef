"""Housekeeping: expire stale sessions in bounded batches, purge old ones, command and beat task."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otp import housekeeping as housekeeping_module
from otp.delivery.state import channels_fail_undelivered
from otp.housekeeping import housekeeping_run, sessions_expire, sessions_purge
from otp.models import (
    ChannelVerification,
    DeliveryAttempt,
    IdempotencyRecord,
    OTPSession,
    OutboxMessage,
    SessionStatus,
)
from otp.tasks import housekeeping
from otpservice.celery import app
from wallet.models import LedgerEntry
from wallet.services import wallet_charge

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIVE = [SessionStatus.PENDING, SessionStatus.PARTIAL, SessionStatus.LOCKED]
CLOSED = [SessionStatus.VERIFIED, SessionStatus.CANCELLED, SessionStatus.EXPIRED]


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def make_session(account, *, status=SessionStatus.PENDING, created=NOW, expires=None) -> OTPSession:
    return OTPSession.objects.create(
        account=account,
        status=status,
        created_at=created,
        last_sent_at=created,
        expires_at=expires or created + timedelta(minutes=10),
    )


def status_of(session: OTPSession) -> str:
    return OTPSession.objects.values_list("status", flat=True).get(pk=session.pk)


# --- expiry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", LIVE)
def test_live_session_past_expires_at_becomes_expired(account, status):
    stale = make_session(account, status=status, expires=NOW - timedelta(seconds=1))
    fresh = make_session(account, status=status, expires=NOW + timedelta(seconds=1))

    assert sessions_expire(now=NOW) == 1
    assert (status_of(stale), status_of(fresh)) == ("EXPIRED", status)


def test_session_expiring_exactly_now_is_expired(account):
    session = make_session(account, expires=NOW)
    sessions_expire(now=NOW)
    assert status_of(session) == "EXPIRED"


@pytest.mark.parametrize("status", CLOSED)
def test_verified_cancelled_and_expired_sessions_are_untouched(account, status):
    session = make_session(account, status=status, expires=NOW - timedelta(hours=1))
    assert sessions_expire(now=NOW) == 0
    assert status_of(session) == status


def _statements(captured) -> list[str]:
    """The statements run, savepoints aside (each batch is its own transaction)."""
    sqls = [q["sql"].lstrip() for q in captured.captured_queries]
    return [sql.split()[0].upper() for sql in sqls if "SAVEPOINT" not in sql.upper()]


@pytest.mark.parametrize("count", [1, 40])
def test_expiry_is_one_batch_of_few_queries_whatever_the_number_of_sessions(account, count, django_assert_max_num_queries):
    for index in range(count):
        make_session(account, status=LIVE[index % 3], expires=NOW - timedelta(minutes=index + 1))

    # One SELECT of the batch (FOR UPDATE SKIP LOCKED), one UPDATE, and the session.expired events'
    # read of the accounts' webhook endpoints (none here, so no insert); the savepoint's two statements.
    with django_assert_max_num_queries(5) as captured:
        assert sessions_expire(now=NOW) == count
    assert _statements(captured) == ["SELECT", "UPDATE", "SELECT"]
    assert OTPSession.objects.filter(status="EXPIRED").count() == count


def test_expiry_goes_in_bounded_batches(account, monkeypatch):
    monkeypatch.setattr(housekeeping_module, "EXPIRE_BATCH", 4)
    for index in range(10):
        make_session(account, expires=NOW - timedelta(minutes=index + 1))
    with CaptureQueriesContext(connection) as captured:
        assert sessions_expire(now=NOW) == 10
    assert _statements(captured).count("UPDATE") == 3  # 4 + 4 + 2
    assert OTPSession.objects.filter(status="EXPIRED").count() == 10


def test_a_full_run_expires_with_exactly_one_update_of_sessions(account):
    for index in range(25):
        make_session(account, expires=NOW - timedelta(minutes=index + 1))

    with CaptureQueriesContext(connection) as captured:
        housekeeping_run(now=NOW)
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "otp_otpsession" in updates[0]


# --- retention ----------------------------------------------------------------------------------


def old_session_with_everything(account, *, created) -> OTPSession:
    session = make_session(account, status=SessionStatus.VERIFIED, created=created)
    row = ChannelVerification.objects.create(session=session, channel="sms", recipient="+14155552671")
    DeliveryAttempt.objects.create(channel_row=row, generation=1, provider="outbox", outcome="sent")
    IdempotencyRecord.objects.create(account=account, key=f"k-{created.isoformat()}", request_hash="h", session=session,
                                     response={})
    return session


def test_sessions_older_than_the_retention_are_purged_with_their_rows(account, settings):
    assert settings.OTP_RETENTION_DAYS == 30  # the documented default
    old = old_session_with_everything(account, created=NOW - timedelta(days=30, seconds=1))
    kept = old_session_with_everything(account, created=NOW - timedelta(days=29, hours=23))

    result = housekeeping_run(now=NOW)

    assert result.purged_sessions == 1
    assert list(OTPSession.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not ChannelVerification.objects.filter(session=old).exists()
    assert not DeliveryAttempt.objects.filter(channel_row__session_id=old.pk).exists()
    assert ChannelVerification.objects.filter(session=kept).count() == 1
    assert DeliveryAttempt.objects.count() == 1


def test_retention_days_setting_is_honoured(account, settings):
    settings.OTP_RETENTION_DAYS = 7
    old = make_session(account, status=SessionStatus.EXPIRED, created=NOW - timedelta(days=8))
    kept = make_session(account, status=SessionStatus.EXPIRED, created=NOW - timedelta(days=6))

    housekeeping_run(now=NOW)
    assert set(OTPSession.objects.values_list("pk", flat=True)) == {kept.pk}
    assert not OTPSession.objects.filter(pk=old.pk).exists()


def test_old_outbox_messages_are_purged_and_the_ledger_outlives_its_session(account, time_machine):
    time_machine.move_to(NOW - timedelta(days=31), tick=False)
    session = make_session(account, status=SessionStatus.VERIFIED, created=NOW - timedelta(days=31))
    ChannelVerification.objects.create(session=session, channel="sms", recipient="+14155552671")
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1})
    OutboxMessage.objects.create(channel="sms", to="+14155552671", body="•••••• is your code", session=session)
    time_machine.move_to(NOW, tick=False)

    result = housekeeping_run(now=NOW)

    assert (result.purged_sessions, result.purged_outbox) == (1, 1)
    charge = LedgerEntry.objects.get(kind="charge")  # money history stays, still naming its session
    assert charge.session_id == session.pk and charge.channel == "sms"


def test_old_sessions_are_purged_in_batches(account, monkeypatch):
    monkeypatch.setattr(housekeeping_module, "PURGE_BATCH", 2)
    for index in range(5):
        old_session_with_everything(account, created=NOW - timedelta(days=31, minutes=index))
    kept = make_session(account, created=NOW - timedelta(days=1))

    with CaptureQueriesContext(connection) as captured:
        purged = sessions_purge(cutoff=NOW - timedelta(days=30))

    assert purged == 5
    assert list(OTPSession.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not ChannelVerification.objects.exists() and not DeliveryAttempt.objects.exists()
    deletes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('DELETE FROM "otp_otpsession"')]
    assert len(deletes) == 3  # 2 + 2 + 1: no single statement deletes them all


# --- command and beat ---------------------------------------------------------------------------


def test_management_command_reports_what_it_did(account):
    make_session(account, expires=NOW - timedelta(minutes=1))
    make_session(account, status=SessionStatus.LOCKED, expires=NOW - timedelta(minutes=1))
    make_session(account, status=SessionStatus.VERIFIED, created=NOW - timedelta(days=40))
    out = StringIO()

    call_command("otp_housekeeping", stdout=out)

    assert out.getvalue().strip() == "expired=2 undelivered=0 purged_sessions=1 purged_idempotency=0 purged_outbox=0"
    assert OTPSession.objects.filter(status="EXPIRED").count() == 2


def test_command_uses_the_current_time(account, time_machine):
    session = make_session(account, expires=NOW + timedelta(minutes=5))
    call_command("otp_housekeeping", stdout=StringIO())
    assert status_of(session) == "PENDING"

    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    call_command("otp_housekeeping", stdout=StringIO())
    assert status_of(session) == "EXPIRED"


def test_beat_schedule_runs_otp_housekeeping_on_the_default_queue(settings):
    entries = [entry for entry in app.conf.beat_schedule.values() if entry["task"] == "otp.housekeeping"]
    assert len(entries) == 1
    assert entries[0]["options"]["queue"] == "otp.default"
    assert 0 < float(entries[0]["schedule"]) <= 3600
    assert "otp.housekeeping" in app.tasks


def test_beat_task_runs_housekeeping(account):
    session = make_session(account, expires=NOW - timedelta(minutes=1))
    housekeeping.apply()
    assert status_of(session) == "EXPIRED"


# --- channels that never went out ---------------------------------------------------------------


def _charged_row(account, *, status=SessionStatus.PENDING, expires=None, claimed_at=None):
    session = make_session(account, status=status, expires=expires)
    row = ChannelVerification.objects.create(
        session=session, channel="sms", recipient="+14155552671", claimed_at=claimed_at
    )
    wallet_charge(account=account, session_id=session.pk, generations={"sms": 1}, actor="test")
    return row


def test_queued_channel_of_an_expired_session_fails_and_is_refunded_once(account):
    row = _charged_row(account, expires=NOW - timedelta(minutes=1))

    first = housekeeping_run(now=NOW)
    second = housekeeping_run(now=NOW)

    row.refresh_from_db()
    assert (first.undelivered, second.undelivered) == (1, 0)
    assert row.delivery_status == "FAILED" and row.last_error == "Not delivered before the session ended"
    refunds = LedgerEntry.objects.filter(kind="refund", channel="sms")
    charge = LedgerEntry.objects.get(kind="charge", channel="sms")
    assert refunds.count() == 1 and refunds.get().amount == -charge.amount


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.VERIFIED])
def test_queued_channel_of_an_ended_session_is_refunded(account, status):
    row = _charged_row(account, status=status)

    assert housekeeping_run(now=NOW).undelivered == 1

    row.refresh_from_db()
    assert row.delivery_status == "FAILED"
    assert LedgerEntry.objects.filter(kind="refund").count() == 1


def test_queued_channel_of_a_live_session_or_under_a_fresh_claim_is_left_alone(account):
    live = _charged_row(account)
    claimed = _charged_row(account, expires=NOW - timedelta(minutes=1), claimed_at=NOW - timedelta(seconds=5))

    assert housekeeping_run(now=NOW).undelivered == 0

    live.refresh_from_db()
    claimed.refresh_from_db()
    assert (live.delivery_status, claimed.delivery_status) == ("QUEUED", "QUEUED")
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_queued_channels_have_a_partial_index_that_the_undelivered_scan_can_use(account):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ChannelVerification._meta.db_table)
    assert constraints["otp_chan_queued"]["index"]
    assert constraints["otp_chan_queued"]["columns"] == ["id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'otp_chan_queued'"
            if connection.vendor == "sqlite"
            else "SELECT indexdef FROM pg_indexes WHERE indexname = 'otp_chan_queued'"
        )
        (definition,) = cursor.fetchone()
    assert "WHERE" in definition.upper() and "QUEUED" in definition  # partial: only QUEUED rows
    with CaptureQueriesContext(connection) as captured:
        channels_fail_undelivered(now=NOW, lease=timedelta(seconds=120))
    (scan,) = captured.captured_queries
    assert """"otp_channelverification"."delivery_status" = 'QUEUED'""" in scan["sql"]
