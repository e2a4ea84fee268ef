"""Admin list pages at scale: no count reads the whole table, and queries do not grow with rows."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otp.models import ChannelVerification, OTPSession
from otpservice.admin_paging import BoundedCountPaginator

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:otp_otpsession_changelist")
QUERIES = ["", "?status=PENDING", "?channel=sms", "?sandbox__exact=1", "?q=%2B14155550100", "?q=nobody",
           "?created_at__gte=2020-01-01+00%3A00%3A00%2B00%3A00"]


def sessions_made(account, count: int) -> list[OTPSession]:
    now = timezone.now()
    sessions = OTPSession.objects.bulk_create(
        OTPSession(
            account=account, created_at=now - timedelta(seconds=i), last_sent_at=now, expires_at=now + timedelta(minutes=10),
            sandbox=bool(i % 2),
        )
        for i in range(count)
    )
    ChannelVerification.objects.bulk_create(
        ChannelVerification(session=session, channel=channel, recipient=recipient, delivery_status="SENT")
        for session in sessions
        for channel, recipient in (("sms", "+14155550100"), ("email", "ada@example.com"))
    )
    return sessions


def counts_over_sessions(queries) -> list[str]:
    """COUNT queries on the sessions table that are not bounded by a LIMIT."""
    return [
        q["sql"] for q in queries
        if "COUNT(" in q["sql"].upper() and "otp_otpsession" in q["sql"] and "LIMIT" not in q["sql"].upper()
    ]


@pytest.mark.parametrize("query", QUERIES)
def test_no_session_list_page_counts_the_whole_table(admin_client, account, query):
    sessions_made(account, 30)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CHANGELIST + query)
    assert response.status_code == 200
    assert counts_over_sessions(captured.captured_queries) == []
    assert "DISTINCT" not in " ".join(q["sql"] for q in captured.captured_queries if "otp_otpsession" in q["sql"])


def test_the_session_list_makes_as_many_queries_for_many_sessions_as_for_few(admin_client, account):
    sessions_made(account, 3)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    sessions_made(account, 150)  # more than a page
    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 12


def test_a_session_page_makes_a_bounded_number_of_queries(admin_client, account):
    (session,) = sessions_made(account, 1)
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(reverse("admin:otp_otpsession_change", args=[session.pk])).status_code == 200
    assert len(captured.captured_queries) <= 20


def test_past_the_cap_the_list_says_more_than_and_stops_counting(admin_client, account, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "cap", 5)
    sessions = sessions_made(account, 12)
    html = admin_client.get(CHANGELIST + "?status=PENDING").content.decode()
    assert re.search(r"more than 5\s+OTP sessions", html)
    one = admin_client.get(CHANGELIST + f"?q={sessions[0].pk}").content.decode()
    assert re.search(r"\b1\s+OTP session\b", one) and "more than" not in one and "about" not in one


@pytest.mark.postgres
def test_an_unfiltered_list_on_postgresql_reads_the_planners_estimate(admin_client, account, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "cap", 5)
    sessions_made(account, 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE otp_otpsession")
    with CaptureQueriesContext(connection) as captured:
        html = admin_client.get(CHANGELIST).content.decode()
    assert re.search(r"about 12\s+OTP sessions", html)
    assert any("reltuples" in q["sql"] for q in captured.captured_queries)
    assert counts_over_sessions(captured.captured_queries) == []
