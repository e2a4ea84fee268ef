"""The admin dashboard in headless Chromium: an operator opens it from the admin index, sees every
chart drawn, filters by account. With SCREENSHOTS=1 it refreshes docs/img/admin-dashboard.png
(docs/admin.md); otherwise the screenshot goes to the test's temporary directory."""
import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from conftest import funded_account
from otp.dashboard.tests.support import charge_at, prices_set, session_make
from otp.fraud.models import FraudDecision
from otp.models import DeliveryStatus, SessionStatus

from .test_browser import page  # noqa: F401 (the Chromium fixture: skips without it, fails in CI)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"
CHARTS = ("sends", "conversion", "failures", "spend", "statuses", "fraud")
FAILURES = ("Twilio error 21211 (HTTP 400): invalid 'To' number", "Not delivered before the session ended")


def _traffic(account, *, days: int, per_day: int, seed: int) -> None:
    """A month of plausible live traffic: most codes verified, some failed, each charged."""
    rng, now = random.Random(seed), timezone.now()
    for day in range(days):
        for n in range(per_day):
            created = now - timedelta(days=day, hours=rng.uniform(0, 20), minutes=n)
            channel = rng.choice(("email", "sms", "sms", "whatsapp"))
            failed = rng.random() < 0.08
            spec = {"verified": not failed and rng.random() < 0.8}
            if failed:
                spec.update(delivery_status=DeliveryStatus.FAILED, last_error=rng.choice(FAILURES))
            status = SessionStatus.VERIFIED if spec["verified"] else SessionStatus.EXPIRED
            session = session_make(account, created=created, channels={channel: spec}, status=status)
            charge_at(created, account=account, session=session, generations={channel: 1})
    FraudDecision.objects.bulk_create(
        FraudDecision(account=account, rule=rule, mode=mode, created_at=now - timedelta(days=rng.randrange(days)))
        for rule, mode, count in (("recipient_sends", "block", 6), ("country_budget", "record", 9), ("blocklist", "block", 3))
        for _ in range(count)
    )


def test_an_operator_opens_the_dashboard_sees_every_chart_and_filters_by_account(
    page, live_server, django_user_model, tmp_path  # noqa: F811
):
    prices_set()
    acme, beta = funded_account("Acme").account, funded_account("Beta").account
    _traffic(acme, days=30, per_day=6, seed=1)
    _traffic(beta, days=10, per_day=2, seed=2)
    operator = django_user_model.objects.create_user(username="ops", password=PASSWORD, is_staff=True)
    # The permission the operators group grants (accounts 0004); an earlier transactional test may
    # have flushed the migration-made group, so the user gets it directly.
    operator.user_permissions.add(Permission.objects.get(content_type__app_label="otp", codename="view_otpsession"))

    page.set_viewport_size({"width": 1360, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("a[href$='/admin/dashboard/']")  # linked from the admin index
    for chart in CHARTS:
        svg = page.locator(f"#chart-{chart} svg")
        svg.wait_for()
        assert svg.bounding_box()["width"] > 300, chart  # drawn, not an empty box
    assert page.locator("#chart-sends svg .series rect").count() > 20  # bars for the days
    everyone = page.locator("#chart-fraud table").inner_text()
    assert "recipient_sends" in everyone and "country_budget" in everyone

    page.select_option("#id_account", str(beta.pk))
    page.click("#otp-dash-filter input[type=submit]")
    page.locator("#chart-sends svg").wait_for()
    assert f"account={beta.pk}" in page.url
    assert page.locator("#id_account").input_value() == str(beta.pk)
    assert page.outside_requests == []

    page.select_option("#id_account", str(acme.pk))
    page.click("#otp-dash-filter input[type=submit]")
    page.locator("#chart-fraud svg").wait_for()
    target = Path(settings.BASE_DIR) / "docs" / "img" if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "admin-dashboard.png"), full_page=True)
    assert (target / "admin-dashboard.png").stat().st_size > 20_000
