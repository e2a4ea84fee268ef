"""Admin for sessions, delivery attempts and the outbox: read-only, filters, and no secrets shown."""
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otp.models import ChannelVerification, DeliveryAttempt, OTPSession, OutboxMessage

pytestmark = pytest.mark.django_db

SEND = "/api/v1/otp/send"
LENGTH = 8  # long codes: eight given digits turn up in a page by chance far less often than six


def send(client, channels, **extra):
    recipients = {"email": "Ada@EXAMPLE.com", "sms": "+14155552671", "whatsapp": "+447911123456"}
    body = {"channels": channels, "recipients": {ch: recipients[ch] for ch in channels}, **extra}
    response = client.post(SEND, {**body, "config": {"otp_length": LENGTH}})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def sandbox_session(sandbox_api):
    """A sandbox email+SMS session: its codes are hashed in the request, so the bcrypt hashes exist."""
    body = send(sandbox_api, ["email", "sms"])
    rows = ChannelVerification.objects.filter(session_id=body["session_id"])
    assert all(row.code_hash.startswith("$2b$") for row in rows)
    return body


@pytest.fixture
def live_session(api, outbox_file, django_capture_on_commit_callbacks):
    """A live email+WhatsApp session delivered through the outbox; returns (response, codes by channel)."""
    with django_capture_on_commit_callbacks(execute=True):
        body = send(api, ["email", "whatsapp"])
    lines = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    codes = {line["channel"]: re.search(rf"\b(\d{{{LENGTH}}})\b", line["body"]).group(1) for line in lines}
    assert set(codes) == {"email", "whatsapp"}
    return body, codes


def page(admin_client, name, *args, query=""):
    response = admin_client.get(reverse(f"admin:{name}", args=args) + query)
    assert response.status_code == 200, response.content[:2000]
    return response


def listed_ids(response):
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def assert_read_only(admin_client, model_name, obj, form_data, *, actions=()):
    """No add, change or delete: the pages refuse the POSTs and offer neither a Save button nor
    actions (save the given operator `actions`, which go through the services)."""
    changelist = page(admin_client, f"otp_{model_name}_changelist").content.decode()
    assert "delete_selected" not in changelist
    if actions:
        offered = set(re.findall(r'<option value="(\w+)"', changelist.split('name="action"', 1)[1].split("</select>")[0]))
        assert offered == set(actions)
    else:
        assert 'name="action"' not in changelist
    assert reverse(f"admin:otp_{model_name}_add") not in changelist
    change_url = reverse(f"admin:otp_{model_name}_change", args=[obj.pk])
    change_page = admin_client.get(change_url).content.decode()
    assert 'name="_save"' not in change_page and 'value="Save"' not in change_page
    assert 'name="_continue"' not in change_page and 'name="_addanother"' not in change_page
    assert reverse(f"admin:otp_{model_name}_delete", args=[obj.pk]) not in change_page
    assert admin_client.post(change_url, form_data).status_code == 403
    assert admin_client.get(reverse(f"admin:otp_{model_name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:otp_{model_name}_add"), form_data).status_code == 403
    delete_url = reverse(f"admin:otp_{model_name}_delete", args=[obj.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    admin_client.post(reverse(f"admin:otp_{model_name}_changelist"), bulk)
    assert type(obj).objects.filter(pk=obj.pk).exists()


# --- sessions -----------------------------------------------------------------------------------


def test_session_changelist_and_change_page_open_for_a_superuser(admin_client, sandbox_session):
    session_id = sandbox_session["session_id"]
    assert session_id in listed_ids(page(admin_client, "otp_otpsession_changelist"))
    change_page = page(admin_client, "otp_otpsession_change", session_id).content.decode()
    assert session_id in change_page
    assert "Pending" in change_page  # the status choice's label


def test_session_admin_is_read_only(admin_client, sandbox_session):
    session = OTPSession.objects.get(pk=sandbox_session["session_id"])
    assert_read_only(
        admin_client, "otpsession", session, {"status": "VERIFIED", "failed_attempts": "0"},
        actions=("cancel_sessions", "expire_sessions"),
    )
    session.refresh_from_db()
    assert (session.status, session.failed_attempts) == ("PENDING", 0)


def test_session_page_shows_channel_rows_inline_without_the_code_hash(admin_client, sandbox_session):
    rows = list(ChannelVerification.objects.filter(session_id=sandbox_session["session_id"]).order_by("channel"))
    html = page(admin_client, "otp_otpsession_change", sandbox_session["session_id"]).content.decode()
    # Both channel rows are there, with their recipients and delivery status...
    assert "ada@example.com" in html.lower() and "+14155552671" in html
    assert html.count('<td class="field-delivery_status">') == 2
    assert html.count("<p>Sandbox</p>") == 2  # each row's delivery status
    assert 'name="channel_rows-0-DELETE"' not in html  # the inline cannot delete rows either
    # ...but nothing of the code: no hash (nor its bcrypt marker), no hash field, no plain code.
    assert "$2b$" not in html
    for row in rows:
        assert row.code_hash not in html
        assert row.code_hash[7:29] not in html  # the salt alone is not shown either
    assert "code_hash" not in html and "Code hash" not in html  # neither a column nor a field
    for code in sandbox_session["sandbox_otps"].values():
        assert code not in html


def test_session_changelist_filters_by_channel_and_status(admin_client, sandbox_api):
    email_only = send(sandbox_api, ["email"])["session_id"]
    sms_only = send(sandbox_api, ["sms"])["session_id"]
    both = send(sandbox_api, ["email", "sms"])["session_id"]
    OTPSession.objects.filter(pk=both).update(status="CANCELLED")

    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?channel=sms")) == {sms_only, both}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?channel=email")) == {email_only, both}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?channel=whatsapp")) == set()
    cancelled = page(admin_client, "otp_otpsession_changelist", query="?status__exact=CANCELLED")
    assert listed_ids(cancelled) == {both}
    pending_sms = page(admin_client, "otp_otpsession_changelist", query="?status__exact=PENDING&channel=sms")
    assert listed_ids(pending_sms) == {sms_only}
    sandbox = page(admin_client, "otp_otpsession_changelist", query="?sandbox__exact=1")
    assert listed_ids(sandbox) == {email_only, sms_only, both}


def test_session_search_finds_a_session_by_id_and_by_recipient(admin_client, sandbox_api):
    ada = send(sandbox_api, ["email"])["session_id"]
    other = sandbox_api.post(
        SEND, {"channels": ["email"], "recipients": {"email": "grace@example.org"}}
    ).json()["session_id"]

    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query=f"?q={ada}")) == {ada}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query=f"?q={other}")) == {other}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?q=ada@example.com")) == {ada}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?q=grace@example")) == {other}
    assert listed_ids(page(admin_client, "otp_otpsession_changelist", query="?q=nobody@example.net")) == set()


def test_session_search_by_phone_lists_a_two_channel_session_once(admin_client, sandbox_api):
    both = send(sandbox_api, ["email", "sms"])["session_id"]
    response = page(admin_client, "otp_otpsession_changelist", query="?q=%2B14155552671")
    assert [str(obj.pk) for obj in response.context["cl"].result_list] == [both]


# --- delivery attempts and outbox ---------------------------------------------------------------


def test_delivery_attempt_admin_is_read_only_and_lists_the_sends(admin_client, live_session):
    body, _codes = live_session
    attempts = DeliveryAttempt.objects.filter(channel_row__session_id=body["session_id"])
    assert {a.outcome for a in attempts} == {"sent"} and attempts.count() == 2
    listed = listed_ids(page(admin_client, "otp_deliveryattempt_changelist", query=f"?q={body['session_id']}"))
    assert listed == {str(a.pk) for a in attempts}
    assert_read_only(admin_client, "deliveryattempt", attempts.first(), {"outcome": "failed", "error": "x"})
    assert {a.outcome for a in DeliveryAttempt.objects.all()} == {"sent"}


def test_outbox_admin_is_read_only(admin_client, live_session):
    message = OutboxMessage.objects.first()
    assert_read_only(admin_client, "outboxmessage", message, {"to": "eve@example.com", "body": "changed"})
    message.refresh_from_db()
    assert message.body != "changed" and message.to != "eve@example.com"


def test_outbox_admin_shows_the_message_with_the_code_masked(admin_client, live_session):
    body, codes = live_session
    messages = list(OutboxMessage.objects.filter(session_id=body["session_id"]))
    assert {m.channel for m in messages} == {"email", "whatsapp"}
    changelist = page(admin_client, "otp_outboxmessage_changelist").content.decode()
    assert "ada@example.com" in changelist.lower() and "+447911123456" in changelist
    pages = [changelist]
    for message in messages:
        html = page(admin_client, "otp_outboxmessage_change", message.pk).content.decode()
        assert "•" * LENGTH in html  # the body is there, masked
        pages.append(html)
    for html in pages:
        for code in codes.values():
            assert code not in html


def test_a_session_past_its_expiry_is_listed_and_filtered_as_expired(admin_client, sandbox_session):
    OTPSession.objects.filter(pk=sandbox_session["session_id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = page(admin_client, "otp_otpsession_changelist", query="?status=EXPIRED").content.decode()
    pending = page(admin_client, "otp_otpsession_changelist", query="?status=PENDING").content.decode()
    detail = page(admin_client, "otp_otpsession_change", sandbox_session["session_id"]).content.decode()

    assert sandbox_session["session_id"] in expired and sandbox_session["session_id"] not in pending
    assert "Expired" in detail and "Pending" not in detail
