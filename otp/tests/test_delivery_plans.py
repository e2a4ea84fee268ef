"""A delivery's statements find their channel row by its id, however many rows are queued.

The claim and the record of a send filter on `delivery_status = 'QUEUED'` and the row's id. When
the partial index of QUEUED rows was keyed by session, PostgreSQL could plan them on that index
and check the id row by row: each claim then read the whole backlog, so a backlog of queued codes
(a worker down, a provider outage) drained in quadratic time. Checked with EXPLAIN: the channel
row is reached through an index condition on its id, not a filter.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from otp.delivery.state.common import current
from otp.models import ChannelVerification, DeliveryStatus, OTPSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BACKLOG = 300


def _sessions_with_a_row(account, *, count: int, status: str) -> list[ChannelVerification]:
    now = timezone.now()
    sessions = OTPSession.objects.bulk_create(
        OTPSession(account=account, created_at=now, last_sent_at=now, expires_at=now + timedelta(minutes=10))
        for _ in range(count)
    )
    return ChannelVerification.objects.bulk_create(
        ChannelVerification(session=session, channel="email", recipient=f"q{n}@example.com", delivery_status=status)
        for n, session in enumerate(sessions)
    )


@pytest.fixture
def backlog(account):
    """A backlog that built up after the planner's statistics were taken, as one does in minutes
    while autovacuum has not analysed the table again: they say almost no row is QUEUED."""
    _sessions_with_a_row(account, count=BACKLOG, status=DeliveryStatus.SENT)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OTPSession._meta.db_table}, {ChannelVerification._meta.db_table}")
    return _sessions_with_a_row(account, count=BACKLOG, status=DeliveryStatus.QUEUED)[-1]


def _plan_of_update(queryset, values: dict) -> str:
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())


# The channel row's own id, compared with a number; the session's lookup reads
# "(id = otp_channelverification.session_id)" and is not this.
ROW_ID = re.compile(r"\(id = \d+\)")


def _assert_found_by_id(plan: str) -> None:
    """Some index condition takes the row's id (an index scan or a bitmap one), and no filter checks
    it row by row."""
    lines = [line.strip() for line in plan.splitlines()]
    assert any(line.startswith("Index Cond:") and ROW_ID.search(line) for line in lines), plan
    assert not any(line.startswith("Filter:") and ROW_ID.search(line) for line in lines), plan


def test_the_claim_reaches_its_row_by_id_under_a_backlog(backlog):
    now = timezone.now()
    claim = ChannelVerification.objects.claimable(now, lease=timedelta(seconds=60)).filter(
        pk=backlog.pk, generation=backlog.generation
    )
    _assert_found_by_id(_plan_of_update(claim, {"claimed_at": now}))


def test_the_record_of_a_send_reaches_its_row_by_id_under_a_backlog(backlog):
    queued = current(backlog.pk, backlog.generation).filter(delivery_status=DeliveryStatus.QUEUED)
    _assert_found_by_id(_plan_of_update(queued, {"delivery_status": DeliveryStatus.SENT}))
