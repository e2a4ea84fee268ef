"""Session admin: the timeline, date and account filters, search, and cancel / expire through the
services (refunds included), on a real database."""
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from otp.delivery.state import channel_delivery_report
from otp.models import ChannelVerification, DeliveryAttempt, OTPSession
from wallet.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

SEND = "/api/v1/otp/send"
CHANGELIST = reverse("admin:otp_otpsession_changelist")


def send(client, channels, **extra):
    recipients = {"email": "Ada@EXAMPLE.com", "sms": "+14155552671", "whatsapp": "+447911123456"}
    body = {"channels": channels, "recipients": {ch: recipients[ch] for ch in channels}, **extra}
    response = client.post(SEND, body)
    assert response.status_code == 200, response.content
    return response.json()["session_id"]


def listed(admin_client, query=""):
    response = admin_client.get(CHANGELIST + query)
    assert response.status_code == 200, response.content[:2000]
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def change_page(admin_client, session_id) -> str:
    response = admin_client.get(reverse("admin:otp_otpsession_change", args=[session_id]))
    assert response.status_code == 200
    return response.content.decode()


def run_action(admin_client, action, session_ids, *, confirm=True):
    data = {"action": action, "_selected_action": session_ids}
    if confirm:
        data["confirm"] = "yes"
    return admin_client.post(CHANGELIST, data, follow=True)


def balance(account) -> int:
    return Wallet.objects.get(account=account).balance


# --- the timeline -------------------------------------------------------------------------------


def test_the_timeline_shows_each_send_the_provider_reports_and_the_template_without_a_code(
    admin_client, api, outbox_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session_id = send(api, ["email", "sms"], config={"otp_length": 8})
    codes = re.findall(r"\b\d{8}\b", outbox_file.read_text())
    sms = ChannelVerification.objects.get(session_id=session_id, channel="sms")
    email = ChannelVerification.objects.get(session_id=session_id, channel="email")
    assert channel_delivery_report(provider_message_id=sms.provider_message_id, state="DELIVERED")
    assert channel_delivery_report(provider_message_id=email.provider_message_id, state="FAILED", error="550 mailbox full")

    html = change_page(admin_client, session_id)
    timeline = html.split('data-testid="session-timeline"', 1)[1]
    assert "Session created" in timeline and "Expires" in timeline
    assert timeline.count("Sent (outbox)") == 2
    assert "Provider reported delivered" in timeline
    assert "Provider reported not delivered" in timeline and "550 mailbox full" in timeline
    assert sms.provider_message_id in timeline
    assert timeline.count("Message written by: built-in default") == 2
    assert "otp_sms (en)" in timeline and "otp_email (en)" in timeline
    # The report is an attempt row too: what the delivery attempts admin lists.
    outcomes = set(DeliveryAttempt.objects.filter(channel_row__session_id=session_id).values_list("outcome", flat=True))
    assert outcomes == {"sent", "delivered", "undelivered"}
    assert codes and not any(code in html for code in codes)
    for row in ChannelVerification.objects.filter(session_id=session_id):
        assert not row.code_hash or row.code_hash not in html
    assert "$2b$" not in html


def test_a_late_or_repeated_provider_report_adds_no_timeline_entry(api, django_capture_on_commit_callbacks, outbox_file):
    with django_capture_on_commit_callbacks(execute=True):
        session_id = send(api, ["sms"])
    row = ChannelVerification.objects.get(session_id=session_id)
    assert channel_delivery_report(provider_message_id=row.provider_message_id, state="DELIVERED")
    assert not channel_delivery_report(provider_message_id=row.provider_message_id, state="FAILED", error="late")
    assert list(DeliveryAttempt.objects.filter(channel_row=row).values_list("outcome", flat=True)) == ["sent", "delivered"]


def test_a_sandbox_session_timeline_says_nothing_is_delivered(admin_client, sandbox_api):
    session_id = send(sandbox_api, ["email"])
    timeline = change_page(admin_client, session_id).split('data-testid="session-timeline"', 1)[1]
    assert "sandbox: nothing delivered or charged" in timeline
    assert "No delivery attempt yet (sandbox: nothing is delivered)" in timeline


# --- filters and search -------------------------------------------------------------------------


def test_sessions_filter_by_created_and_expiry_dates_and_by_account(admin_client, sandbox_api, other_api):
    old = send(sandbox_api, ["email"])
    new = send(sandbox_api, ["sms"])
    others = send(other_api, ["email"])
    OTPSession.objects.filter(pk=old).update(
        created_at=timezone.now() - timedelta(days=40), expires_at=timezone.now() - timedelta(days=40)
    )
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    since_today = urlencode({"created_at__gte": today.isoformat()})
    assert listed(admin_client, f"?{since_today}") == {new, others}
    before = urlencode({"created_at__lt": (today - timedelta(days=30)).isoformat()})
    assert listed(admin_client, f"?{before}") == {old}
    assert old not in listed(admin_client, "?" + urlencode({"expires_at__gte": today.isoformat()}))
    account = OTPSession.objects.get(pk=new).account
    assert listed(admin_client, f"?account__id__exact={account.pk}") == {old, new}
    assert listed(admin_client, f"?sandbox__exact=1&channel=sms&{since_today}") == {new}
    # The filter's own links ("Past 7 days", ...) are there for both dates.
    html = admin_client.get(CHANGELIST).content.decode()
    assert "By created at" in html and "By expires at" in html and "Past 7 days" in html


def test_search_finds_a_recipient_as_typed_with_spaces_or_another_case(admin_client, sandbox_api):
    sms = send(sandbox_api, ["sms"])
    email = send(sandbox_api, ["email"])
    assert listed(admin_client, "?q=%2B1 415 555 2671") == {sms}
    assert listed(admin_client, "?q=Ada@EXAMPLE.COM") == {email}
    assert listed(admin_client, "?q=EXAMPLE.com") == {email}  # a part, case-insensitively
    assert listed(admin_client, f"?q={sms}") == {sms}
    assert listed(admin_client, f"?q= {email.upper()} ") == {email}


def test_the_channels_column_lists_each_channel_and_its_delivery_status(admin_client, sandbox_api):
    send(sandbox_api, ["email", "whatsapp"])
    html = admin_client.get(CHANGELIST).content.decode()
    assert "email: Sandbox, whatsapp: Sandbox" in html


# --- cancel and expire --------------------------------------------------------------------------


def test_cancel_asks_first_then_cancels_and_refunds_the_channels_that_never_went_out(admin_client, api, account):
    start = balance(account)
    session_id = send(api, ["sms", "email"])  # not delivered: the on_commit tasks never run here
    assert balance(account) < start

    confirm = run_action(admin_client, "cancel_sessions", [session_id], confirm=False)
    assert "Yes, cancel them" in confirm.content.decode()
    assert OTPSession.objects.get(pk=session_id).status == "PENDING"

    done = run_action(admin_client, "cancel_sessions", [session_id])
    assert "1 session(s) cancelled; 2 unsent channel(s) refunded." in done.content.decode()
    assert OTPSession.objects.get(pk=session_id).status == "CANCELLED"
    assert set(ChannelVerification.objects.filter(session_id=session_id).values_list("delivery_status", flat=True)) == {
        "FAILED"
    }
    assert balance(account) == start
    refunds = LedgerEntry.objects.filter(session_id=session_id, kind="refund")
    assert refunds.count() == 2
    # Once: a second cancel is refused and refunds nothing more.
    again = run_action(admin_client, "cancel_sessions", [session_id])
    assert f"Not cancelled: {session_id} (Session cancelled)" in again.content.decode()
    assert refunds.count() == 2 and balance(account) == start


def test_expire_ends_a_live_session_now_and_refunds_it(admin_client, api, account):
    start = balance(account)
    session_id = send(api, ["sms"])
    done = run_action(admin_client, "expire_sessions", [session_id])
    assert "1 session(s) expired; 1 unsent channel(s) refunded." in done.content.decode()
    session = OTPSession.objects.get(pk=session_id)
    assert session.status == "EXPIRED" and session.expires_at <= timezone.now()
    assert balance(account) == start
    verify = api.post("/api/v1/otp/verify", {"session_token": session_id, "otps": {"sms": "123456"}})
    assert verify.status_code == 410


def test_cancel_leaves_a_delivered_channel_charged_and_a_verified_session_alone(
    admin_client, api, sandbox_api, account, django_capture_on_commit_callbacks, outbox_file
):
    with django_capture_on_commit_callbacks(execute=True):
        delivered = send(api, ["email"])
    verified = send(sandbox_api, ["email"])
    OTPSession.objects.filter(pk=verified).update(status="VERIFIED")
    after_send = balance(account)

    done = run_action(admin_client, "cancel_sessions", [delivered, verified]).content.decode()
    assert "1 session(s) cancelled; 0 unsent channel(s) refunded." in done
    assert f"Not cancelled: {verified} (Session already verified)" in done
    assert balance(account) == after_send  # the message went out: it stays paid for
    assert OTPSession.objects.get(pk=verified).status == "VERIFIED"


def test_each_cancel_and_expire_is_in_the_audit_log_with_the_status_before_and_after(
    admin_client, admin_user, sandbox_api
):
    cancelled, expired = send(sandbox_api, ["email"]), send(sandbox_api, ["sms"])
    run_action(admin_client, "cancel_sessions", [cancelled])
    run_action(admin_client, "expire_sessions", [expired])
    entries = {entry.object_pk: entry for entry in LogEntry.objects.filter(content_type__model="otpsession")}
    assert set(entries) == {cancelled, expired}
    assert entries[cancelled].changes == {"status": ["PENDING", "CANCELLED"]}
    assert entries[expired].changes == {"status": ["PENDING", "EXPIRED"]}
    assert {entry.actor for entry in entries.values()} == {admin_user}


def test_a_bulk_action_over_too_many_sessions_changes_nothing(admin_client, sandbox_api, monkeypatch):
    monkeypatch.setattr("otp.admin.BULK_LIMIT", 1)
    ids = [send(sandbox_api, ["email"]), send(sandbox_api, ["sms"])]
    response = run_action(admin_client, "cancel_sessions", ids)
    assert "At most 1 sessions at a time" in response.content.decode()
    assert set(OTPSession.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"PENDING"}


def test_expire_refuses_an_expired_session_with_its_own_words(admin_client, sandbox_api):
    session_id = send(sandbox_api, ["email"])
    OTPSession.objects.filter(pk=session_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = run_action(admin_client, "expire_sessions", [session_id]).content.decode()
    assert f"Not expired: {session_id} (Session already expired)" in response


def test_another_accounts_session_is_cancelled_and_refunded_on_its_own_wallet(admin_client, other_api):
    session_id = send(other_api, ["email"])
    other = OTPSession.objects.get(pk=session_id).account
    start = balance(other) + LedgerEntry.objects.get(session_id=session_id, kind="charge").amount * -1
    run_action(admin_client, "cancel_sessions", [session_id])
    assert OTPSession.objects.get(pk=session_id).status == "CANCELLED"
    assert balance(other) == start
