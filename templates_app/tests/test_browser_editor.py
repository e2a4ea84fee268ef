"""The template editor in headless Chromium: typing into an SMS body changes the preview, its
segment count and its encoding; an email's HTML part renders in a sandboxed frame. Set
EDITOR_SCREENSHOT=docs/img/template-editor.png to refresh the screenshot in docs/templates.md."""
import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from otpservice.tests.test_browser import page  # noqa: F401  (the Chromium fixture and its rules)
from templates_app.services import template_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def editor_login(page, live_server, django_user_model):  # noqa: F811
    group, _ = Group.objects.get_or_create(name="template editors")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="templates_app", codename__in=["view_otptemplate", "add_otptemplate", "change_otptemplate"]
    ))
    user = django_user_model.objects.create_user(username="writer", password=PASSWORD, is_staff=True)
    user.groups.add(group)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def editor_url(live_server, row):
    return live_server.url + reverse("admin:templates_app_otptemplate_change", args=[row.pk])


def test_typing_into_an_sms_body_updates_the_preview_segments_and_encoding(editor_login, live_server, account):
    from playwright.sync_api import expect

    tab = editor_login
    row = template_save(account=account, key="otp_sms", locale="", fields={"body": "{{ otp }} is your code"}, created_by="t")
    tab.goto(editor_url(live_server, row))
    expect(tab.locator("#preview-body")).to_have_text("123456 is your code")
    expect(tab.locator("#preview-segments")).to_have_text("1")
    expect(tab.locator("#preview-encoding")).to_have_text("GSM-7")

    body = tab.locator("#id_body")
    body.fill("")
    body.press_sequentially("Your ACME code: {{ otp }}.", delay=5)
    expect(tab.locator("#preview-body")).to_have_text("Your ACME code: 123456.")
    expect(tab.locator("#preview-length")).to_have_text("23")

    body.press_sequentially(" Never share it with anyone, not even with ACME staff. " * 3, delay=1)
    expect(tab.locator("#preview-segments")).to_have_text("2")
    expect(tab.locator("#preview-segments-word")).to_have_text("segments")
    expect(tab.locator("#preview-encoding")).to_have_text("GSM-7")

    body.fill("{{ otp }} is your code")
    expect(tab.locator("#preview-segments")).to_have_text("1")
    body.press("End")
    body.press_sequentially(" 🔐")
    expect(tab.locator("#preview-encoding")).to_have_text("UCS-2")
    expect(tab.locator("#preview-length")).to_have_text("22")

    body.press_sequentially(" {{ nope }}")
    expect(tab.locator("#preview-errors")).to_contain_text("body, line 1: Unknown variable {{ nope }}")
    assert tab.outside_requests == []


def test_an_email_template_previews_its_parts_and_the_html_in_a_sandbox(editor_login, live_server, account):
    from playwright.sync_api import expect

    tab = editor_login
    fields = {
        "from_name": "Acme Security", "from_email": "security@acme.example", "subject": "{{ otp }} is your Acme code",
        "body": "Your code is {{ otp }}.\nIt expires in {{ expiry_minutes }} minutes.",
        "html": (
            '<div style="font-family:Arial,sans-serif;padding:16px"><h2 style="color:#417690">Acme</h2>'
            '<p>Your code is</p><p id="code" style="font-size:32px;font-weight:bold;letter-spacing:6px">{{ otp }}</p>'
            "<p>It expires in {{ expiry_minutes }} minutes.</p>"
            "<script>document.getElementById('code').textContent = 'script ran';</script></div>"
        ),
    }
    template_save(account=account, key="otp_email", locale="en", fields=fields, created_by="admin:writer")
    row = template_save(account=account, key="otp_email", locale="en", fields=fields, created_by="admin:writer")
    tab.goto(editor_url(live_server, row))

    expect(tab.locator("#preview-subject")).to_have_text("123456 is your Acme code")
    expect(tab.locator("#preview-from")).to_have_text("Acme Security <security@acme.example>")
    expect(tab.locator("#preview-text")).to_contain_text("Your code is 123456.")
    assert tab.locator("#preview-html").get_attribute("sandbox") == ""
    frame = tab.frame_locator("#preview-html")
    # sandbox="": the HTML renders as it will look, and its script never runs.
    expect(frame.locator("#code")).to_have_text("123456")

    tab.locator("#id_subject").fill("Código {{ otp }}")
    expect(tab.locator("#preview-subject")).to_have_text("Código 123456")
    expect(tab.locator(".editor-versions")).to_contain_text("v1")
    screenshot = os.environ.get("EDITOR_SCREENSHOT")
    if screenshot:
        tab.screenshot(path=screenshot, full_page=False)
    assert tab.outside_requests == []
