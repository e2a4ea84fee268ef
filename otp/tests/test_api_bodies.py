"""The OTP endpoints answer byte for byte as recorded: keys, key order, value formats, None vs missing.

Generated values (session ids, tokens, codes, provider ids) become placeholders; everything else,
timestamps included, is compared exactly under a frozen clock. See otpservice/tests/golden.py.
"""
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from otp.models import ChannelVerification
from otpservice.tests.golden import Golden, Placeholders

pytestmark = pytest.mark.django_db

SEND, VERIFY, RESEND = "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend"
SESSIONS = "/api/v1/otp/sessions"
RECIPIENTS = {"email": "Ada@Example.COM", "sms": "+14155552671", "whatsapp": "+447911123456"}
# Microseconds on the clock: the API must cut them to milliseconds.
T0 = datetime(2026, 1, 15, 11, 0, 0, 123456, tzinfo=UTC)
GOLDEN = Golden(Path(__file__).with_name("golden") / "api_bodies.json")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return lambda seconds: time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def seen():
    return Placeholders()


def _body(channels, **extra) -> dict:
    return {"channels": list(channels), "recipients": {ch: RECIPIENTS[ch] for ch in channels}, **extra}


def _record(seen: Placeholders, response) -> dict:
    """Registers the generated values a body carries, and returns it parsed."""
    body = response.json()
    for holder in (body, body.get("data") or {}):
        if not isinstance(holder, dict):
            continue
        seen.add("session", holder.get("session_id", ""))
        seen.add("token", holder.get("session_token", ""))
        for code in (holder.get("sandbox_otps") or holder.get("otps") or {}).values():
            seen.add("code", code)
    return body


def _check(name: str, seen: Placeholders, response, status: int = 200) -> None:
    assert response.status_code == status, response.content
    GOLDEN.check(name, seen.apply(response.content.decode()))


def _check_replay(name: str, seen: Placeholders, replay, first) -> None:
    """A replay is the first body without its codes; its key order is what the JSON column kept
    (PostgreSQL's jsonb reorders keys), so the bytes are pinned on PostgreSQL only."""
    assert replay.headers["Idempotent-Replayed"] == "true"
    expected = {key: value for key, value in first.json().items() if key != "sandbox_otps"}
    expected["data"] = {key: value for key, value in expected["data"].items() if key != "otps"}
    assert replay.json() == expected
    if connection.vendor == "postgresql":
        _check(name, seen, replay)


def _outbox_codes(path, session_id: str) -> dict[str, str]:
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return {
        line["channel"]: re.search(r"(?<!\d)(\d{4,8})(?!\d)", line["body"]).group(1)
        for line in lines
        if line["session_id"] == session_id
    }


def test_send_bodies_live_sandbox_and_their_replays(api, sandbox_api, clock, seen):
    live = api.post(
        SEND,
        _body(["email", "sms"], metadata={"user_id": "42", "plan": {"tier": "pro"}}, config={"expiry_minutes": 5}),
        headers={"Idempotency-Key": "live-1"},
    )
    _record(seen, live)
    _check("send_live", seen, live)
    replay = api.post(
        SEND,
        _body(["email", "sms"], metadata={"user_id": "42", "plan": {"tier": "pro"}}, config={"expiry_minutes": 5}),
        headers={"Idempotency-Key": "live-1"},
    )
    _check_replay("send_live_replay", seen, replay, live)

    sandbox = sandbox_api.post(SEND, _body(["email", "sms", "whatsapp"]), headers={"Idempotency-Key": "sb-1"})
    _record(seen, sandbox)
    _check("send_sandbox", seen, sandbox)
    replay = sandbox_api.post(SEND, _body(["email", "sms", "whatsapp"]), headers={"Idempotency-Key": "sb-1"})
    _check_replay("send_sandbox_replay", seen, replay, sandbox)

    flagged = api.post(SEND, _body(["whatsapp"], sandbox_mode=True))
    _record(seen, flagged)
    _check("send_sandbox_mode_live_key", seen, flagged)


def test_verify_bodies_partial_then_verified(sandbox_api, clock, seen):
    sent = _record(seen, sandbox_api.post(SEND, _body(["email", "sms"], config={"max_attempts": 5})))
    codes = sent["sandbox_otps"]
    wrong = "".join(str((int(d) + 1) % 10) for d in codes["email"])
    clock(7)
    partial = sandbox_api.post(VERIFY, {"session_token": sent["session_token"], "otps": {"email": wrong, "sms": codes["sms"]}})
    _check("verify_partial_one_wrong", seen, partial)
    clock(9)
    done = sandbox_api.post(VERIFY, {"token": sent["session_token"], "otps": {"email": codes["email"]}})
    _check("verify_verified", seen, done)


def test_resend_bodies_sandbox_and_live(api, sandbox_api, clock, seen):
    sent = _record(seen, sandbox_api.post(SEND, _body(["email", "sms"])))
    clock(31)
    response = sandbox_api.post(RESEND, {"session_token": sent["session_token"]})
    _record(seen, response)
    _check("resend_sandbox", seen, response)

    sent = _record(seen, api.post(SEND, _body(["sms", "whatsapp"])))
    clock(62)
    _check("resend_live_subset", seen, api.post(RESEND, {"token": sent["session_token"], "channels": ["whatsapp"]}))


def test_session_bodies_list_detail_and_cancel(api, outbox_file, django_capture_on_commit_callbacks, clock, seen):
    with django_capture_on_commit_callbacks(execute=True):
        delivered = _record(seen, api.post(SEND, _body(["email", "sms"], metadata={"ref": "a"}, add_contact=True)))
    for value in ChannelVerification.objects.order_by("pk").values_list("provider_message_id", flat=True):
        seen.add("provider", value)
    codes = _outbox_codes(outbox_file, delivered["session_id"])
    assert set(codes) == {"email", "sms"}
    clock(5)
    api.post(VERIFY, {"session_token": delivered["session_token"], "otps": {"sms": codes["sms"]}})
    clock(10)
    sandbox = _record(seen, api.post(SEND, _body(["whatsapp"], sandbox_mode=True, config={
        "verification_strategy": "specific", "required_channels": ["whatsapp"]})))
    clock(20)
    to_cancel = _record(seen, api.post(SEND, _body(["email"])))
    clock(30)
    _check("session_cancel", seen, api.post(f"{SESSIONS}/{to_cancel['session_id']}/cancel"))

    _check("session_detail_delivered_partly_verified", seen, api.get(f"{SESSIONS}/{delivered['session_id']}"))
    _check("session_detail_sandbox", seen, api.get(f"{SESSIONS}/{sandbox['session_id']}"))
    _check("session_list_page_1", seen, api.get(f"{SESSIONS}?limit=2"))
    _check("session_list_page_2", seen, api.get(f"{SESSIONS}?limit=2&page=2"))
    _check("session_list_empty", seen, api.get(f"{SESSIONS}?status=LOCKED"))
    clock(60 * 11)  # past every expires_at: live sessions read as EXPIRED
    _check("session_detail_expired", seen, api.get(f"{SESSIONS}/{sandbox['session_id']}"))
