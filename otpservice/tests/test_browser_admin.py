"""Operators' admin in headless Chromium: log in, filter sessions, open one and read its timeline,
create a key (copy button) and revoke it. With SCREENSHOTS=1 it refreshes docs/img/admin-session.png
(docs/admin.md); otherwise the screenshot goes to the test's temporary directory, leaving the tree clean."""
import os
import re
from pathlib import Path

import pytest
import requests
from django.conf import settings

from conftest import funded_account
from otp.delivery.state import channel_delivery_report
from otp.models import ChannelVerification

from .test_browser import page  # noqa: F401 (the Chromium fixture: skips without it, fails in CI)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "img"


def log_in(page, live_server, django_user_model):  # noqa: F811
    django_user_model.objects.create_superuser(username="ops", password=PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def send(live_server, key, channels, recipients):
    response = requests.post(
        f"{live_server.url}/api/v1/otp/send", json={"channels": channels, "recipients": recipients},
        headers={"X-API-Key": key}, timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["session_id"]


def test_an_operator_filters_sessions_and_reads_a_session_timeline(page, live_server, django_user_model, tmp_path):  # noqa: F811
    created = funded_account("Browser Co")
    session_id = send(
        live_server, created.live_key, ["email", "sms"], {"email": "ada@example.com", "sms": "+14155552671"}
    )
    sandbox_id = send(live_server, created.test_key, ["email"], {"email": "grace@example.com"})
    sms = ChannelVerification.objects.get(session_id=session_id, channel="sms")
    assert sms.provider_message_id, "the outbox delivered the SMS"
    channel_delivery_report(provider_message_id=sms.provider_message_id, state="DELIVERED")
    log_in(page, live_server, django_user_model)

    page.goto(f"{live_server.url}/admin/otp/otpsession/")
    assert page.locator("#result_list tbody tr").count() == 2
    page.locator("#changelist-filter").get_by_role("link", name="SMS", exact=True).click()
    page.wait_for_url(re.compile(r"channel=sms"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and session_id in rows.inner_text() and sandbox_id not in page.content()
    page.locator("#changelist-filter").get_by_role("link", name="Yes", exact=True).click()  # sandbox: yes
    assert page.locator("#result_list tbody tr").count() == 0
    page.goto(f"{live_server.url}/admin/otp/otpsession/?q=%2B1 415 555 2671")
    assert page.locator("#result_list tbody tr").count() == 1

    page.locator("#result_list tbody tr th a").first.click()
    timeline = page.locator("[data-testid=session-timeline]")
    timeline.wait_for()
    text = timeline.inner_text()
    assert "Session created" in text and "Sent (outbox)" in text and "Provider reported delivered" in text
    assert "Message written by: built-in default otp_sms (en)" in text
    assert not re.search(r"\$2b\$", page.content())
    timeline.scroll_into_view_if_needed()
    target = SCREENSHOTS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "admin-session.png"), full_page=True)
    assert (target / "admin-session.png").stat().st_size > 10_000
    assert page.outside_requests == []


def test_an_operator_creates_a_key_copies_it_and_revokes_it(page, live_server, django_user_model):  # noqa: F811
    account = funded_account("Keys Co").account
    log_in(page, live_server, django_user_model)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")
    page.click("a.create-key")
    page.fill("#id_name", "checkout backend")
    page.select_option("#id_mode", "live")
    page.click("input[type=submit][value='Create key']")
    key = page.input_value("#new-api-key")
    assert re.fullmatch(r"sk_live_[A-Za-z0-9_-]{43}", key)
    page.click("#copy-api-key")
    page.locator("#copy-api-key-done").wait_for(state="visible")
    assert page.evaluate("navigator.clipboard.readText()") == key
    api = f"{live_server.url}/api/v1/otp/sessions"
    assert requests.get(api, headers={"X-API-Key": key}, timeout=10).status_code == 200

    page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")
    assert key not in page.content()
    row = page.locator("#api_keys-group tr", has_text="checkout backend")
    assert row.locator("td.field-last_used_at").inner_text().strip() not in ("", "-")  # just used above
    row.locator("a.revoke-key").click()
    page.click("#confirm-revoke")
    page.wait_for_selector(".messagelist")
    assert "Revoked" in page.locator(".messagelist").inner_text()
    assert requests.get(api, headers={"X-API-Key": key}, timeout=10).status_code == 401
    assert page.outside_requests == []
