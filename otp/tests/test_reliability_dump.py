"""No plaintext code anywhere in a whole-database dump after live sends, a verify and a resend.

The storage rule is tested row by row elsewhere (test_hashing_and_tokens.py); this scans what an
operator's backup would hold: `pg_dump` of the test database, over a real connection, after the
codes were really generated and delivered (SendGrid and Twilio fakes, and the outbox provider,
whose database row is masked while its file keeps the message as sent).

Codes are 8 digits (the send's `otp_length`, the most the API allows) and are searched for as a
number of their own (no digit on either side, so not inside a phone number or an id). A 6-digit
code would match by chance the microseconds of any of the dump's many timestamps (1 in 10^6
each); an 8-digit one can only match one of the few dozen standalone 8-digit numbers a dump holds,
at 1 in 10^8 each, so a failure here is a leak, not a coincidence.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from django.db import connection

from conftest import _unavailable
from events.services import webhook_create
from events.tests.receiver import start_receiver
from events.types import EventType
from otp.tests.delivery_support import (
    SEND,
    VERIFY,
    code_in,
    leaked,
    send_body,
    sendgrid_code,
    twilio_code,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CODE_LENGTH = 8
RESEND = "/api/v1/otp/resend"


@pytest.fixture
def receiver(settings):
    """A webhook endpoint's receiver, so the events and webhook deliveries are in the dump too."""
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OTP_WEBHOOKS_TIMEOUT_SECONDS = 1.0
    server = start_receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def pg_dump() -> str:
    """The whole test database (schema and data) as a plain-text dump by the real pg_dump binary."""
    binary = shutil.which("pg_dump")
    if binary is None:
        _unavailable("needs pg_dump (apt-get install postgresql-client)")
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    command = [
        binary, "--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432),
        "--username", db["USER"] or "postgres", "--no-password", "--dbname", db["NAME"],
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def delivered_codes(live, outbox_file) -> list[str]:
    """Every code as its recipient got it: what the provider fakes accepted and the outbox file."""
    codes = [twilio_code(r) for r in live.twilio.requests if r.response_status == 201]
    codes += [sendgrid_code(r) for r in live.sendgrid.requests if r.response_status == 202]
    for line in outbox_file.read_text().splitlines():
        codes.append(code_in(json.loads(line)["body"]))
    return codes


def test_a_database_dump_after_live_sends_a_verify_and_a_resend_holds_no_code(
    api, account, live, outbox_file, settings, receiver
):
    settings.OTP = {**settings.OTP, "RESEND_COOLDOWN_SECONDS": 0}
    webhook_create(account=account, url=receiver.url(), events=EventType.values)

    # A: every channel through the provider fakes (SendGrid, Twilio SMS and WhatsApp).
    first = api.post(SEND, send_body(("email", "sms", "whatsapp"), otp_length=CODE_LENGTH))
    assert first.status_code == 200, first.json()
    a_codes = {
        "email": sendgrid_code(live.sendgrid.requests[-1]),
        **{("whatsapp" if r.form["To"].startswith("whatsapp:") else "sms"): twilio_code(r) for r in live.twilio.requests},
    }
    # B: email through the outbox provider (its row masked, its file in full), SMS through Twilio.
    settings.OTP = {**settings.OTP, "DELIVERY_BY_CHANNEL": {"email": "outbox"}}
    second = api.post(SEND, send_body(("email", "sms"), otp_length=CODE_LENGTH))
    assert second.status_code == 200, second.json()
    resent = api.post(RESEND, {"session_token": second.json()["session_token"]})
    assert resent.status_code == 200, resent.json()

    verified = api.post(VERIFY, {"session_token": first.json()["session_token"], "otps": a_codes})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["session_verified"] is True, verified.json()

    codes = delivered_codes(live, outbox_file)
    # A's three, B's two, and the two that B's resend made: each really generated and delivered.
    assert len(codes) == 7, codes
    assert all(re.fullmatch(rf"\d{{{CODE_LENGTH}}}", code) for code in codes), codes
    assert len(receiver.requests) >= 3  # events were emitted and delivered (their rows are dumped)

    dump = pg_dump()
    # Not vacuous: the dump holds this test's sessions, the masked outbox rows and the events.
    for session in (first.json()["session_id"], second.json()["session_id"]):
        assert session in dump
    assert "•" * CODE_LENGTH in dump
    assert "session.verified" in dump
    assert leaked(codes, dump) == []
