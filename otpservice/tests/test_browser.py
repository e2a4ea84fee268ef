"""Browser tests in headless Chromium (Debian's, driven by Playwright): Swagger UI works offline,
and the admin shows a new API key once."""
import os
import re
import shutil
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connections

from accounts.services import account_create

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, monkeypatch):
    if not os.path.exists(CHROMIUM):
        message = f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still synchronous and on their own connection.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    own_host = urlsplit(live_server.url).netloc
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context()

        def only_local(route):
            if urlsplit(route.request.url).netloc == own_host:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        tab = context.new_page()
        tab.outside_requests = outside
        yield tab
        browser.close()
        # While Playwright's loop runs in this thread, Django keeps this thread's database
        # connections in a context variable (asgiref's thread-critical Local), apart from the
        # connection pytest-django closes: close the test's here, or the test database cannot be
        # dropped at the end of the run ("accessed by other users").
        connections.close_all()


def test_swagger_ui_renders_every_endpoint_without_leaving_the_host(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")

    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend", "/api/v1/wallet"} <= {
        p.replace("\u200b", "") for p in paths
    }
    assert page.outside_requests == []


def test_admin_shows_a_new_api_key_once_and_it_authenticates(page, live_server, django_user_model):
    django_user_model.objects.create_superuser(username="ops", password="correct horse battery")
    account = account_create(name="Browser Co").account

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/accounts/account/")
    page.check(f"input[name=_selected_action][value='{account.pk}']")
    page.select_option("select[name=action]", "issue_live_key")
    page.click("button[name=index]")

    message = page.locator(".messagelist").inner_text()
    key = re.search(r"sk_live_[A-Za-z0-9_-]{43}", message).group(0)
    response = requests.get(f"{live_server.url}/api/v1/otp/sessions", headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 200
    page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")
    assert key not in page.content()
    page.goto(f"{live_server.url}/admin/accounts/apikey/")
    assert key not in page.content()
    assert page.outside_requests == []
