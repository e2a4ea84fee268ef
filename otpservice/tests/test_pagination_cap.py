"""The capped count of list pages (otpservice.api.pagination): exact up to COUNT_CAP, a lower bound
past it that still leads a client through every page, and a count that never reads the whole history."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otp.models import OTPSession
from otpservice.api import pagination
from otpservice.api.pagination import paginate

pytestmark = pytest.mark.django_db


def _sessions(account, count):
    now = timezone.now()
    OTPSession.objects.bulk_create(
        OTPSession(account=account, created_at=now - timedelta(seconds=n), last_sent_at=now, expires_at=now)
        for n in range(count)
    )
    return OTPSession.objects.filter(account=account).order_by("-created_at", "-id")


def test_the_total_is_exact_up_to_the_cap(account, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 30)
    sessions = _sessions(account, 30)
    page = paginate(sessions, page=2, limit=20)
    assert (page.total, len(page.items), page.pagination["totalPages"]) == (30, 10, 2)


def test_past_the_cap_the_total_is_a_lower_bound_that_leads_through_every_page(account, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    sessions = _sessions(account, 47)
    seen, number = [], 1
    while True:
        page = paginate(sessions, page=number, limit=5)
        seen += page.items
        assert page.total > 10
        if number >= page.pagination["totalPages"]:
            break
        number += 1
    assert len(seen) == 47 == len({s.pk for s in seen})
    assert page.total == 47  # exact on the last page
    assert paginate(sessions, page=3, limit=5).total == 16  # the 15 rows so far and at least one more


def test_the_count_reads_at_most_cap_plus_one_rows(account):
    sessions = _sessions(account, 3)
    with CaptureQueriesContext(connection) as captured:
        paginate(sessions, page=1, limit=20)
    count = next(q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper())
    assert f"LIMIT {pagination.COUNT_CAP + 1}" in count


def test_the_sessions_api_reports_the_capped_total(api, account, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 25)
    api.get("/api/v1/otp/sessions")
    _sessions(account, 60)
    body = api.get("/api/v1/otp/sessions?limit=20").json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 26, "totalPages": 2}
    last = api.get("/api/v1/otp/sessions?limit=20&page=3").json()
    assert last["pagination"]["total"] == 60 and len(last["data"]) == 20
