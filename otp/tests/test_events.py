"""Webhook events from otp (DESIGN §9): each type once, with the session's data and never a code."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.utils import timezone

from events.models import Event
from events.services import webhook_create
from events.tests.receiver import start_receiver
from events.types import EventType
from otp.housekeeping import sessions_expire
from otp.models import ChannelVerification, OTPSession
from otp.services import session_verify
from otp.services.operator import sessions_end
from otp.tests.delivery_support import AUTH_TOKEN, SEND, TWILIO_STATUS, send, send_body, twilio_code, verify
from otp.tests.fakes import twilio_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OTP_WEBHOOKS_TIMEOUT_SECONDS = 1.0
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def subscribed(account, receiver):
    """An endpoint of the account for every event type (events nobody subscribes to are not written)."""
    return webhook_create(account=account, url=receiver.url(), events=EventType.values)


def events(session_id=None) -> list[tuple[str, dict]]:
    rows = Event.objects.order_by("created_at", "type")
    if session_id is not None:
        rows = rows.filter(data__session_id=str(session_id))
    return [(event.type, event.data) for event in rows]


def types(session_id=None) -> list[str]:
    return [type for type, _ in events(session_id)]


def base(session_id, status, *, sandbox=False, metadata=None) -> dict:
    return {"session_id": str(session_id), "status": status, "sandbox": sandbox, "metadata": metadata or {}}


def twilio_report(client, row: ChannelVerification, state: str, **extra):
    params = {"MessageSid": row.provider_message_id, "MessageStatus": state, "AccountSid": "AC1", **extra}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"http://testserver{TWILIO_STATUS}", params=params)
    response = client.post(
        TWILIO_STATUS, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200, response.content


def test_a_live_session_emits_created_sent_delivered_verified_once_each_with_its_data(
    api, client, live, subscribed, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(SEND, {**send_body(["sms"]), "metadata": {"order": "7"}})
    sent = response.json()
    sid, meta = sent["session_id"], {"order": "7"}
    row = ChannelVerification.objects.get(session_id=sid)
    code = twilio_code(live.twilio.last)
    with django_capture_on_commit_callbacks(execute=True):
        twilio_report(client, row, "delivered")
    with django_capture_on_commit_callbacks(execute=True):
        assert verify(api, sent["session_token"], {"sms": code}).status_code == 200

    sms = {"channel": "sms"}
    assert events(sid) == [
        ("session.created", base(sid, "PENDING", metadata=meta)),
        ("channel.sent", {**base(sid, "PENDING", metadata=meta), **sms, "delivery_status": "SENT"}),
        ("channel.delivered", {**base(sid, "PENDING", metadata=meta), **sms, "delivery_status": "DELIVERED"}),
        ("channel.verified", {**base(sid, "VERIFIED", metadata=meta), **sms, "delivery_status": "DELIVERED"}),
        ("session.verified", base(sid, "VERIFIED", metadata=meta)),
    ]
    # Delivered to the endpoint, and no body carries the code.
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert sorted(body["type"] for body in bodies) == sorted(types(sid))
    assert not any(code in request.body.decode() for request in receiver.requests)


def test_a_permanent_provider_error_emits_channel_failed_with_its_reason(api, live, subscribed, django_capture_on_commit_callbacks):
    live.twilio.enqueue("error", status=400, code=21211, message="Invalid 'To' Phone Number")
    sid = send(api, django_capture_on_commit_callbacks, ["sms"])["session_id"]
    assert types(sid) == ["session.created", "channel.failed"]
    failed = events(sid)[1][1]
    assert (failed["channel"], failed["delivery_status"], failed["status"]) == ("sms", "FAILED", "PENDING")
    assert "21211" in failed["reason"]


def test_a_provider_report_of_failure_emits_channel_failed_once(api, client, live, subscribed, django_capture_on_commit_callbacks):
    sid = send(api, django_capture_on_commit_callbacks, ["sms"])["session_id"]
    row = ChannelVerification.objects.get(session_id=sid)
    twilio_report(client, row, "undelivered", ErrorCode="30003")
    twilio_report(client, row, "undelivered", ErrorCode="30003")  # a repeat changes nothing
    assert types(sid) == ["session.created", "channel.sent", "channel.failed"]
    assert events(sid)[2][1]["reason"] == "Twilio error 30003"


def test_the_attempt_that_locks_the_session_emits_session_locked_once(sandbox_api, subscribed):
    sent = sandbox_api.post(SEND, {**send_body(["email"]), "config": {"max_attempts": 2}}).json()
    for _ in range(3):
        verify(sandbox_api, sent["session_token"], {"email": "000000"})
    assert types(sent["session_id"]) == ["session.created", "session.locked"]
    assert events(sent["session_id"])[1][1] == base(sent["session_id"], "LOCKED", sandbox=True)


def test_sandbox_sessions_emit_flagged_and_each_newly_verified_channel_once(sandbox_api, subscribed):
    sent = sandbox_api.post(SEND, send_body(["email", "sms"])).json()
    sid, codes = sent["session_id"], sent["sandbox_otps"]
    verify(sandbox_api, sent["session_token"], {"email": codes["email"]})
    verify(sandbox_api, sent["session_token"], {"email": codes["email"], "sms": codes["sms"]})
    assert events(sid) == [
        ("session.created", base(sid, "PENDING", sandbox=True)),
        ("channel.verified", {**base(sid, "PARTIAL", sandbox=True), "channel": "email", "delivery_status": "SANDBOX"}),
        ("channel.verified", {**base(sid, "VERIFIED", sandbox=True), "channel": "sms", "delivery_status": "SANDBOX"}),
        ("session.verified", base(sid, "VERIFIED", sandbox=True)),
    ]


def test_expiry_is_emitted_once_by_whoever_writes_it(sandbox_api, subscribed, time_machine):
    first = sandbox_api.post(SEND, send_body(["email"])).json()
    second = sandbox_api.post(SEND, send_body(["email"])).json()
    time_machine.move_to(timezone.now() + timedelta(minutes=11))
    assert verify(sandbox_api, first["session_token"], {"email": "000000"}).status_code == 410  # verify writes it
    assert sessions_expire(now=timezone.now()) == 1  # housekeeping, the other one
    assert sessions_expire(now=timezone.now()) == 0
    for sent in (first, second):
        assert events(sent["session_id"])[1:] == [("session.expired", base(sent["session_id"], "EXPIRED", sandbox=True))]


def test_cancel_from_the_api_and_the_admin_emits_session_cancelled(api, account, subscribed, outbox_file):
    from otp.models import SessionStatus
    via_api = api.post(SEND, send_body(["email"])).json()["session_id"]
    assert api.post(f"/api/v1/otp/sessions/{via_api}/cancel").status_code == 200
    bulk = [api.post(SEND, send_body(["email"])).json()["session_id"] for _ in range(2)]
    expire = api.post(SEND, send_body(["email"])).json()["session_id"]
    assert len(sessions_end(session_ids=bulk, action="cancel").changed) == 2
    sessions_end(session_ids=[expire], action="expire")
    for sid in (via_api, *bulk):
        assert OTPSession.objects.get(pk=sid).status == SessionStatus.CANCELLED
        assert [e for e in events(sid) if e[0].startswith("session.")][1:] == [
            ("session.cancelled", base(sid, "CANCELLED"))
        ]
    # The admin's actions also fail (and refund) what never went out: a channel.failed for each.
    assert types(expire) == ["session.created", "session.expired", "channel.failed"]
    assert events(bulk[0])[-1][1]["reason"] == "Not delivered before the session ended"


def test_event_data_never_carries_a_code_or_hash(sandbox_api, subscribed):
    sent = sandbox_api.post(SEND, send_body(["email", "sms"])).json()
    verify(sandbox_api, sent["session_token"], sent["sandbox_otps"])
    hashes = list(ChannelVerification.objects.values_list("code_hash", flat=True))
    dumped = json.dumps([data for _, data in events()])
    assert not any(code in dumped for code in sent["sandbox_otps"].values())
    assert not any(code_hash in dumped for code_hash in hashes)
    allowed = {"session_id", "status", "sandbox", "metadata", "channel", "delivery_status", "reason", "next_channel"}
    assert all(set(data) <= allowed for _, data in events())


class Boom(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_send_or_verify_emits_nothing(account, account_keys, subscribed, sandbox_api):
    from wallet.models import Wallet

    # A live send the wallet cannot pay: session.created was emitted, then the 402 rolled it all back.
    Wallet.objects.filter(account=account).update(balance=0)
    from conftest import _client as client_for

    live_api = client_for(account_keys.live_key)
    assert live_api.post(SEND, send_body(["sms"])).status_code == 402
    assert not Event.objects.exists() and not OTPSession.objects.exists()
    # A right code verified inside a caller's transaction that rolls back.
    sent = sandbox_api.post(SEND, send_body(["email"])).json()
    before = types()
    with pytest.raises(Boom), transaction.atomic():
        session_verify(account=account, sandbox_only=True, token=sent["session_token"], codes=sent["sandbox_otps"])
        assert types()[len(before):] == ["channel.verified", "session.verified"]  # written, in the transaction
        raise Boom
    assert types() == before == ["session.created"]
    assert OTPSession.objects.get(pk=sent["session_id"]).status == "PENDING"
