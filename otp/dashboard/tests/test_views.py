"""The dashboard page: who may see it, the admin index link, no foreign host, the filter, and a
number of queries that does not grow with the number of sessions."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otp.dashboard.models import RollupDay
from otp.dashboard.services import dashboard_rollup
from otp.models import ChannelVerification, DeliveryStatus, OTPSession, SessionStatus

from .support import charge_at, prices_set, session_make

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
URL = "/admin/dashboard/"
# The only http(s) names an inline SVG carries: XML namespaces, which nothing fetches.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def _staff(username: str, *, perms=(), superuser=False, staff=True) -> User:
    user = User.objects.create_user(username, password="pw-0123456789", is_staff=staff, is_superuser=superuser)
    user.user_permissions.set(Permission.objects.filter(codename__in=perms, content_type__app_label="otp"))
    return user


@pytest.fixture
def operator(db, client):
    client.force_login(_staff("ops", perms=["view_otpsession"]))
    return client


def test_anonymous_and_non_staff_are_sent_to_the_login(db, client):
    assert client.get(URL).status_code == 302
    client.force_login(_staff("user", perms=["view_otpsession"], staff=False))
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_session_permission_is_refused(db, client):
    client.force_login(_staff("editor", perms=["view_outboxmessage"]))
    assert client.get(URL).status_code == 403
    assert "otp-dashboard-link" not in client.get("/admin/").content.decode()


def test_operators_and_superusers_see_it_linked_from_the_admin_index(operator, client):
    index = operator.get("/admin/").content.decode()
    assert 'id="otp-dashboard-link"' in index and f'href="{URL}"' in index
    assert operator.get(URL).status_code == 200
    client.force_login(_staff("root", superuser=True))
    assert client.get(URL).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_page_draws_every_chart_inline_and_names_no_other_host(operator, account):
    prices_set()
    session = session_make(account, created=NOW - timedelta(days=2), channels={
        "sms": {"delivery_status": DeliveryStatus.FAILED, "last_error": "SendGrid bounce: <script>alert(1)</script>"},
    })
    charge_at(NOW - timedelta(days=2), account=account, session=session, generations={"sms": 1})
    html = operator.get(URL).content.decode()
    for chart in ("sends", "conversion", "failures", "spend", "statuses", "fraud"):
        assert re.search(rf'id="chart-{chart}">\s*<svg ', html), chart
    assert html.count("pygal-chart") >= 6 and html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-") == 6
    assert set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", html)) <= NAMESPACES
    charts = html[html.index('id="chart-sends"'):html.index("</body>")]
    assert "<script" not in charts.replace("&lt;script&gt;", "")
    assert "SendGrid bounce" in html


def test_a_bad_or_unknown_account_is_a_400(operator):
    assert operator.get(URL, {"account": "nope"}).status_code == 400
    response = operator.get(URL, {"account": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400 and "No such account." in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_account_filter_shows_that_accounts_numbers(operator, account):
    from conftest import funded_account

    other = funded_account("Beta").account
    session_make(account, created=NOW - timedelta(hours=1), channels={"email": {}}, status=SessionStatus.VERIFIED)
    session_make(other, created=NOW - timedelta(hours=1), channels={"email": {}, "sms": {}})
    mine = operator.get(URL, {"account": str(account.pk)}).context["dashboard"]
    everyone = operator.get(URL).context["dashboard"]
    assert mine.sends["email"][-1] == 1 and mine.sends["sms"][-1] == 0 and mine.statuses["VERIFIED"] == 1
    assert everyone.sends["email"][-1] == 2 and everyone.sends["sms"][-1] == 1
    assert f'<option value="{account.pk}" selected>' in operator.get(URL, {"account": str(account.pk)}).content.decode()


def _traffic(accounts, sessions: int) -> None:
    """`sessions` sessions spread over the 30 days, the accounts and the channels, in bulk."""
    statuses = [SessionStatus.VERIFIED, SessionStatus.EXPIRED, SessionStatus.PENDING, SessionStatus.CANCELLED]
    made = OTPSession.objects.bulk_create([
        OTPSession(
            account=accounts[n % len(accounts)], created_at=NOW - timedelta(minutes=21 * n + 1),
            last_sent_at=NOW, expires_at=NOW - timedelta(minutes=21 * n - 9), status=statuses[n % 4],
        )
        for n in range(sessions)
    ])
    channels = ["email", "sms", "whatsapp"]
    ChannelVerification.objects.bulk_create([
        ChannelVerification(
            session=session, channel=channels[n % 3], recipient="+14155550100",
            delivery_status=DeliveryStatus.FAILED if n % 7 == 0 else DeliveryStatus.SENT,
            last_error=f"Twilio error {21000 + n % 5} (HTTP 400): x{n}" if n % 7 == 0 else "",
        )
        for n, session in enumerate(made)
    ])


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_the_number_of_queries_does_not_grow_with_the_sessions(operator, account):
    from conftest import funded_account

    accounts = [account, funded_account("Beta").account, funded_account("Gamma").account]
    _traffic(accounts, 20)
    dashboard_rollup(now=NOW)
    few, few_filtered = _queries(operator), _queries(operator, account=str(account.pk))
    _traffic(accounts, 2000)
    # Closed days are rolled up once (and the last two again): these landed in days already done.
    RollupDay.objects.all().delete()
    dashboard_rollup(now=NOW)
    assert _queries(operator) == few and _queries(operator, account=str(account.pk)) == few_filtered
    assert few <= 15
    dashboard = operator.get(URL).context["dashboard"]
    assert sum(map(sum, dashboard.sends.values())) == 2020
    # Not rolled up at all: the days are aggregated live, still in the same queries.
    RollupDay.objects.all().delete()
    assert _queries(operator) == few
    assert sum(map(sum, operator.get(URL).context["dashboard"].sends.values())) == 2020


def test_fraud_decisions_are_counted_per_rule_and_mode_for_the_window_and_the_account(operator, account):
    from conftest import funded_account
    from otp.fraud.models import FraudDecision

    other = funded_account("Beta").account
    rows = [
        (account, "blocklist", "block", NOW - timedelta(days=1)),
        (account, "blocklist", "block", NOW - timedelta(days=29)),
        (account, "country_budget", "record", NOW - timedelta(hours=2)),
        (other, "blocklist", "block", NOW - timedelta(hours=3)),
        (account, "blocklist", "block", NOW - timedelta(days=40)),  # before the window
    ]
    FraudDecision.objects.bulk_create(
        FraudDecision(account=who, rule=rule, mode=mode, created_at=at) for who, rule, mode, at in rows
    )
    with time_machine.travel(NOW, tick=False):
        everyone = operator.get(URL)
        mine = operator.get(URL, {"account": str(account.pk)})

    assert everyone.context["dashboard"].fraud == {"blocklist": {"block": 3}, "country_budget": {"record": 1}}
    assert mine.context["dashboard"].fraud == {"blocklist": {"block": 2}, "country_budget": {"record": 1}}
    html = mine.content.decode()
    assert re.search(r'id="chart-fraud">\s*<svg ', html)
    assert "<td>blocklist</td><td>2</td><td>0</td>" in html
