"""The editor's "send test" (added by otp/admin_templates.py): the form's message, rendered with the
sample code, lands in the outbox with the code masked; bad input is a 400 and stores nothing."""
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from otp.models import OutboxMessage
from templates_app.services import PREVIEW_CODE

pytestmark = pytest.mark.django_db
MASK = "•" * len(PREVIEW_CODE)


def send_test(client, account, recipient, **fields):
    data = {"account": account.pk, "locale": "", "test_recipient": recipient, **fields}
    response = client.post(reverse("admin:templates_app_otptemplate_send_test"), data)
    return response.status_code, response.json()


def test_email_test_lands_in_the_outbox_with_the_code_masked(admin_client, account):
    status, data = send_test(
        admin_client, account, "Ada@Example.COM", key="otp_email", subject="{{ otp }} is your code",
        body="Text {{ otp }}", html="<p>HTML <b>{{ otp }}</b> for {{ metadata.name }}</p>",
        preview_metadata='{"name": "Ada & co"}',
    )
    assert status == 200, data
    row = OutboxMessage.objects.get()
    assert (data["to"], data["outbox_id"]) == ("Ada@example.com", row.pk)
    assert data["outbox_url"] == reverse("admin:otp_outboxmessage_change", args=[row.pk])
    assert (row.channel, row.to, row.session) == ("email", "Ada@example.com", None)
    assert row.body == f"Text {MASK}" and row.html == f"<p>HTML <b>{MASK}</b> for Ada &amp; co</p>"
    assert PREVIEW_CODE not in row.body + row.html
    # The subject is stored as rendered, as the outbox provider stores every message.
    assert row.subject == f"{PREVIEW_CODE} is your code"


def test_sms_test_goes_to_the_normalized_number(admin_client, account):
    status, data = send_test(admin_client, account, "+1 415 555 2671".replace(" ", ""), key="otp_sms",
                             body="{{ otp }} is your ACME code")
    assert status == 200, data
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to, row.body) == ("sms", "+14155552671", f"{MASK} is your ACME code")


def test_a_bad_recipient_or_template_stores_nothing(admin_client, account):
    status, data = send_test(admin_client, account, "not-a-number", key="otp_sms", body="{{ otp }}")
    assert status == 400 and data["errors"][0]["field"] == "test_recipient"
    status, data = send_test(admin_client, account, "+14155552671", key="otp_sms", body="{{ otp }}\n{{ nope }}")
    assert status == 400 and (data["errors"][0]["field"], data["errors"][0]["line"]) == ("body", 2)
    assert OutboxMessage.objects.count() == 0


def test_only_template_editors_send_tests(client, django_user_model, account):
    viewer = django_user_model.objects.create_user(username="reader", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_otptemplate"))
    client.force_login(viewer)
    response = client.post(reverse("admin:templates_app_otptemplate_send_test"),
                           {"account": account.pk, "key": "otp_sms", "body": "{{ otp }}", "test_recipient": "+14155552671"})
    assert response.status_code == 403
    assert client.get(reverse("admin:templates_app_otptemplate_send_test")).status_code in (403, 405)
    assert OutboxMessage.objects.count() == 0


def test_the_editor_page_offers_the_send_test(admin_client):
    page = admin_client.get(reverse("admin:templates_app_otptemplate_add")).content.decode()
    assert reverse("admin:templates_app_otptemplate_send_test") in page and "Send test to the outbox" in page
