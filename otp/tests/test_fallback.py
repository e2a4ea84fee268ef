"""Fallback delivery through the real SDKs against the fake providers: one channel at a time, each
charged when it goes out, moved on by failure or by the window, once whoever gets there first."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone

from accounts.services import account_create
from conftest import _client
from events.models import Event
from events.services import webhook_create
from events.types import EventType
from otp.delivery.fallback import fallback_advance, fallback_sweep
from otp.models import ChannelVerification, OTPSession
from otp.tasks import fallback_check
from otp.tests.delivery_support import (
    AUTH_TOKEN,
    SEND,
    TWILIO_STATUS,
    channel_details,
    send,
    send_body,
    sendgrid_code,
    twilio_code,
    verify,
)
from otp.tests.fakes import twilio_signature
from wallet.models import LedgerEntry
from wallet.services import wallet_topup

pytestmark = pytest.mark.django_db

RESEND = "/api/v1/otp/resend"


@pytest.fixture
def checks(monkeypatch) -> list[dict]:
    """fallback_check publications, recorded instead of run (as a worker would hold the countdown)."""
    calls: list[dict] = []
    monkeypatch.setattr(
        fallback_check, "apply_async", lambda args=None, kwargs=None, **options: calls.append({"kwargs": kwargs, **options})
    )
    return calls


@pytest.fixture
def subscribed(account, settings):
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = True
    return webhook_create(account=account, url="http://127.0.0.1:9/hook", events=EventType.values)


def fallback_send(api, capture, channels, **config) -> dict:
    return send(api, capture, channels, delivery="fallback", **config)


def rows(session_id) -> dict[str, ChannelVerification]:
    return {row.channel: row for row in ChannelVerification.objects.filter(session_id=session_id)}


def statuses(session_id) -> dict[str, str]:
    return {channel: row.delivery_status for channel, row in rows(session_id).items()}


def charged(session_id) -> list[str]:
    return sorted(LedgerEntry.objects.filter(session_id=session_id, kind="charge").values_list("channel", flat=True))


def later(time_machine, seconds: float) -> None:
    time_machine.move_to(timezone.now() + timedelta(seconds=seconds))


def twilio_report(client, row: ChannelVerification, state: str, **extra) -> None:
    params = {"MessageSid": row.provider_message_id, "MessageStatus": state, "AccountSid": "AC1", **extra}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}", params=params)
    response = client.post(
        TWILIO_STATUS, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200


def test_only_the_first_channel_goes_out_and_is_charged_the_others_are_not_sent(api, live, django_capture_on_commit_callbacks):
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "email"])
    assert sent["channels_sent"] == {"sms": {"success": True, "status": "QUEUED"}, "email": {"success": True, "status": "NOT_SENT"}}
    assert statuses(sent["session_id"]) == {"sms": "SENT", "email": "NOT_SENT"}
    assert charged(sent["session_id"]) == ["sms"]
    assert live.sendgrid.requests == [] and len(live.twilio.requests) == 1
    details = channel_details(api, sent["session_id"])
    assert details["email"]["delivery_status"] == "NOT_SENT" and details["email"]["verified"] is False
    session = OTPSession.objects.get(pk=sent["session_id"])
    assert (session.delivery, session.fallback_after_seconds, session.verification_strategy) == ("fallback", 30, "any")


def test_a_permanent_failure_sends_and_charges_the_next_channel_at_once(
    api, live, subscribed, django_capture_on_commit_callbacks
):
    live.twilio.enqueue("error", status=400, code=21211, message="Invalid 'To' Phone Number")
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "email"])
    sid = sent["session_id"]
    assert statuses(sid) == {"sms": "FAILED", "email": "SENT"}
    assert charged(sid) == ["email", "sms"]  # sms charged at send, then refunded (it failed for good)
    assert list(LedgerEntry.objects.filter(session_id=sid, kind="refund").values_list("channel", flat=True)) == ["sms"]
    assert len(live.sendgrid.requests) == 1
    fallback = Event.objects.get(type="channel.fallback").data
    assert (fallback["channel"], fallback["delivery_status"], fallback["next_channel"]) == ("sms", "FAILED", "email")
    assert fallback["reason"].startswith("failed: ") and "21211" in fallback["reason"]
    # The channel that went out verifies the session.
    assert verify(api, sent["session_token"], {"email": sendgrid_code(live.sendgrid.last)}).json()["status"] == "VERIFIED"


def test_no_delivery_report_within_the_window_sends_the_next_when_the_countdown_fires(
    api, live, checks, subscribed, time_machine, django_capture_on_commit_callbacks
):
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "whatsapp"], fallback_after_seconds=5)
    sid = sent["session_id"]
    sms_code = twilio_code(live.twilio.last)
    [check] = checks
    assert (check["countdown"], check["queue"]) == (5, "otp.default")
    fallback_check.run(**check["kwargs"])  # too early (a clock ahead): nothing moves
    assert statuses(sid) == {"sms": "SENT", "whatsapp": "NOT_SENT"} and charged(sid) == ["sms"]
    later(time_machine, 6)
    with django_capture_on_commit_callbacks(execute=True):
        fallback_check.run(**check["kwargs"])
    assert statuses(sid) == {"sms": "SENT", "whatsapp": "SENT"}
    assert charged(sid) == ["sms", "whatsapp"] and len(live.twilio.requests) == 2
    assert Event.objects.get(type="channel.fallback").data["reason"] == "not delivered within 5 s"
    # whatsapp's own window is now running; the first code still verifies (it went out).
    assert len(checks) == 2 and checks[1]["kwargs"]["channel_row_id"] == rows(sid)["whatsapp"].pk
    assert verify(api, sent["session_token"], {"sms": sms_code}).json()["status"] == "VERIFIED"
    later(time_machine, 6)
    fallback_check.run(**checks[1]["kwargs"])  # takes whatsapp's due time, and sends nothing:
    assert fallback_sweep(now=timezone.now()) == 0
    assert len(live.twilio.requests) == 2 and charged(sid) == ["sms", "whatsapp"]  # verified, the chain is over


def test_delivered_in_time_means_the_next_is_never_sent_nor_charged(
    api, client, live, checks, time_machine, django_capture_on_commit_callbacks
):
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "email"], fallback_after_seconds=5)
    sid = sent["session_id"]
    twilio_report(client, rows(sid)["sms"], "delivered")
    later(time_machine, 60)
    with django_capture_on_commit_callbacks(execute=True):
        fallback_check.run(**checks[0]["kwargs"])
        assert fallback_sweep(now=timezone.now()) == 0
    assert statuses(sid) == {"sms": "DELIVERED", "email": "NOT_SENT"}
    assert charged(sid) == ["sms"] and live.sendgrid.requests == []


def test_the_sweep_moves_a_due_chain_on_when_its_countdown_task_was_lost(
    api, live, checks, time_machine, django_capture_on_commit_callbacks
):
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["whatsapp", "sms", "email"], fallback_after_seconds=5)
    sid = sent["session_id"]
    checks.clear()  # lost: a worker restarted holding the countdown
    later(time_machine, 4)
    assert fallback_sweep(now=timezone.now()) == 0  # not due yet
    later(time_machine, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert fallback_sweep(now=timezone.now()) == 1
    assert statuses(sid) == {"whatsapp": "SENT", "sms": "SENT", "email": "NOT_SENT"}
    assert charged(sid) == ["sms", "whatsapp"]


def test_a_late_failure_report_about_an_earlier_channel_sends_nothing_more(
    api, client, live, checks, time_machine, django_capture_on_commit_callbacks
):
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["whatsapp", "sms", "email"], fallback_after_seconds=5)
    sid = sent["session_id"]
    later(time_machine, 6)
    with django_capture_on_commit_callbacks(execute=True):
        fallback_sweep(now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        twilio_report(client, rows(sid)["whatsapp"], "undelivered", ErrorCode="63016")
        fallback_sweep(now=timezone.now())
    assert statuses(sid) == {"whatsapp": "FAILED", "sms": "SENT", "email": "NOT_SENT"}
    assert charged(sid) == ["sms", "whatsapp"]


def test_a_next_channel_the_wallet_cannot_pay_fails_and_the_chain_goes_on(
    live, checks, subscribed, time_machine, django_capture_on_commit_callbacks
):
    created = account_create(name="Thin")
    wallet_topup(account=created.account, amount=Decimal("0.0200"), actor="test")  # sms 0.0150, then 0.0050 left
    webhook_create(account=created.account, url="http://127.0.0.1:9/hook", events=EventType.values)
    api = _client(created.live_key)
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "whatsapp", "email"], fallback_after_seconds=5)
    sid = sent["session_id"]
    later(time_machine, 6)
    with django_capture_on_commit_callbacks(execute=True):
        assert fallback_sweep(now=timezone.now()) == 1
    found = rows(sid)
    assert {ch: row.delivery_status for ch, row in found.items()} == {"sms": "SENT", "whatsapp": "FAILED", "email": "SENT"}
    assert found["whatsapp"].last_error.startswith("insufficient_balance: ")
    assert charged(sid) == ["email", "sms"]
    failed = Event.objects.get(type="channel.failed").data
    assert (failed["channel"], failed["reason"]) == ("whatsapp", found["whatsapp"].last_error)
    assert Event.objects.get(type="channel.fallback").data["next_channel"] == "email"


def test_resend_restarts_the_chain_at_the_first_unverified_channel(
    api, live, checks, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    sent = fallback_send(api, django_capture_on_commit_callbacks, ["sms", "email"], fallback_after_seconds=5)
    sid = sent["session_id"]
    later(time_machine, 6)
    with django_capture_on_commit_callbacks(execute=True):
        fallback_sweep(now=timezone.now())
    assert statuses(sid) == {"sms": "SENT", "email": "SENT"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(RESEND, {"session_token": sent["session_token"]})
    assert response.status_code == 200, response.json()
    assert statuses(sid) == {"sms": "SENT", "email": "NOT_SENT"}  # sms again (generation 2), email waits
    assert {row.generation for row in rows(sid).values()} == {2}
    keys = LedgerEntry.objects.filter(session_id=sid, kind="charge").values_list("idempotency_key", flat=True)
    assert sorted(key.rsplit(":", 2)[1:] for key in keys) == [["email", "1"], ["sms", "1"], ["sms", "2"]]
    assert OTPSession.objects.get(pk=sid).fallback_channel == "sms"


def test_sandbox_fallback_sessions_get_every_code_at_once(sandbox_api):
    response = sandbox_api.post(SEND, send_body(["sms", "email"], delivery="fallback"))
    body = response.json()
    assert set(body["sandbox_otps"]) == {"sms", "email"}
    assert statuses(body["session_id"]) == {"sms": "SANDBOX", "email": "SANDBOX"}
    assert verify(sandbox_api, body["session_token"], {"email": body["sandbox_otps"]["email"]}).json()["status"] == "VERIFIED"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"delivery": "fallback", "verification_strategy": "all"}, "config.verification_strategy"),
        ({"delivery": "fallback", "verification_strategy": "specific", "required_channels": ["sms"]}, "config.verification_strategy"),
        ({"delivery": "fallback", "fallback_after_seconds": 4}, "config.fallback_after_seconds"),
        ({"delivery": "fallback", "fallback_after_seconds": 301}, "config.fallback_after_seconds"),
        ({"delivery": "fallback", "fallback_after_seconds": "30"}, "config.fallback_after_seconds"),
        ({"fallback_after_seconds": 30}, "config.fallback_after_seconds"),
        ({"delivery": "one-by-one"}, "config.delivery"),
    ],
)
def test_bad_fallback_config_is_a_400_naming_the_field(api, config, field):
    response = api.post(SEND, {**send_body(["sms", "email"]), "config": config})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["details"]["field"] == field
    assert not OTPSession.objects.exists()


def test_fallback_with_strategy_any_is_accepted(api, outbox_file):
    response = api.post(SEND, {**send_body(["sms", "email"]), "config": {"delivery": "fallback", "verification_strategy": "any"}})
    assert response.status_code == 200, response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_countdown_task_and_the_sweep_racing_move_the_chain_once(account_keys, live, checks, time_machine):
    api = _client(account_keys.live_key)
    sent = api.post(SEND, send_body(["sms", "email"], delivery="fallback", fallback_after_seconds=5)).json()
    sid = sent["session_id"]
    sms = rows(sid)["sms"]
    assert sms.delivery_status == "SENT" and sms.fallback_due_at is not None
    later(time_machine, 6)
    now = timezone.now()
    barrier, results = threading.Barrier(2), []

    def run(work) -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: fallback_advance(row_id=sms.pk, generation=sms.generation, now=now),)),
        threading.Thread(target=run, args=(lambda: fallback_sweep(now=now),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1] or sorted(results) == [False, True]
    assert charged(sid) == ["email", "sms"]
    assert len(live.sendgrid.requests) == 1
    assert statuses(sid) == {"sms": "SENT", "email": "SENT"}
