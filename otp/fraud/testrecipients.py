"""Test recipients: fixed codes under live keys, for app-store reviewers and end-to-end tests.

A live send to one creates a normal session; its row gets the hash of the fixed code at send time
and is SENT by no provider (otp.delivery.state.channels_held_for_test): nothing is queued, sent or
charged, and the fixed code verifies like a generated one. At most MAX_PER_ACCOUNT per account.
"""
from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from types import MappingProxyType

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Account
from otpservice.errors import InvalidRequest
from otpservice.logging import codes_redacted
from otpservice.process_cache import ProcessCache
from otpservice.recipients import EMAIL_CHANNELS, canonical_recipient
from otpservice.validation import RecipientError, normalize_email, normalize_phone

from ..conf import otp_setting
from ..delivery.state import channels_held_for_test
from ..hashing import hash_code
from .decisions import memoized
from .exceptions import FraudEntryNotFound, TestRecipientExists, TestRecipientLimit
from .models import TestRecipient
from .sealing import code_open, code_seal

MAX_PER_ACCOUNT = 10
_CODE = re.compile(r"[0-9]{4,8}", re.ASCII)
# Every live send asks whether it goes to a test recipient, so an account's test recipients are
# cached per process (otpservice.process_cache), all of them: a send to an address never seen
# before reads nothing. The API keeps an account to MAX_PER_ACCOUNT; CACHED_MAX only guards against
# rows made some other way (the shell, SQL), which are then looked up per send as before.
CACHED_MAX = 100
_TOO_MANY = MappingProxyType({})
_tests = ProcessCache("test_recipients", copies=False)
_tests.drop_on_change(TestRecipient, key=lambda test: test.account_id)


def _field_error(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", details={"field": field, "errors": {field: [message]}})


def _kind(channel: str) -> str:
    return TestRecipient.Kind.EMAIL if channel in EMAIL_CHANNELS else TestRecipient.Kind.PHONE


def test_recipient_create(*, account: Account, recipient: str, code: str) -> TestRecipient:
    """Add a test recipient (a phone in E.164 or an email) with its fixed code of 4 to 8 digits."""
    kind = TestRecipient.Kind.EMAIL if "@" in recipient else TestRecipient.Kind.PHONE
    try:
        normalized = normalize_email(recipient) if kind == TestRecipient.Kind.EMAIL else normalize_phone(recipient)
    except RecipientError as exc:
        raise InvalidRequest(
            f"Invalid recipient: recipient: {exc}", code="invalid_recipient",
            details={"field": "recipient", "errors": {"recipient": [str(exc)]}},
        ) from exc
    if not _CODE.fullmatch(code):
        raise _field_error("code", "A test code is 4 to 8 digits.")
    canonical = canonical_recipient(channel="email" if kind == TestRecipient.Kind.EMAIL else "sms", recipient=normalized)
    with transaction.atomic():
        # The account row serializes creations, so parallel requests cannot pass the limit together.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        if TestRecipient.objects.filter(account=account).count() >= MAX_PER_ACCOUNT:
            raise TestRecipientLimit(
                f"Test recipients limit reached: at most {MAX_PER_ACCOUNT} per account",
                details={"max_test_recipients": MAX_PER_ACCOUNT},
            )
        try:
            with transaction.atomic():
                return TestRecipient.objects.create(
                    account=account, kind=kind, recipient=normalized, canonical=canonical,
                    code_sealed=code_seal(code), code_length=len(code),
                )
        except IntegrityError as exc:
            raise TestRecipientExists(
                "Test recipient exists: delete it first to change its code", details={"field": "recipient"}
            ) from exc


def test_recipient_delete(*, account: Account, test_recipient_id: int) -> None:
    deleted, _ = TestRecipient.objects.filter(account=account, pk=test_recipient_id).delete()
    if not deleted:
        raise FraudEntryNotFound("Not found: no such test recipient")


def test_recipients_for(*, account: Account, recipients: Mapping[str, str]) -> dict[str, TestRecipient]:
    """channel -> the account's test recipient it sends to (one query, none when the request asked
    already; channels of others are absent)."""
    key = ("tests", account.pk, tuple(sorted(recipients.items())))
    return memoized(key, lambda: _test_recipients_for(account=account, recipients=recipients))


def _tests_load(account_id) -> MappingProxyType:
    rows = list(TestRecipient.objects.filter(account_id=account_id).order_by()[: CACHED_MAX + 1])
    if len(rows) > CACHED_MAX:
        return _TOO_MANY
    # Pickled one by one: a hit unpickles a fresh copy of the few it sends to. Only the sealed code
    # is in them; it is opened per send (test_recipients_hold), never cached open.
    return MappingProxyType({(test.kind, test.canonical): pickle.dumps(test) for test in rows})


def _test_recipients_for(*, account: Account, recipients: Mapping[str, str]) -> dict[str, TestRecipient]:
    wanted = {channel: (_kind(channel), canonical_recipient(channel=channel, recipient=r)) for channel, r in recipients.items()}
    if not wanted:
        return {}
    cached = _tests.get(account.pk, lambda: _tests_load(account.pk), weight=lambda index: len(index) + 1)
    if cached is _TOO_MANY:
        found = {
            (test.kind, test.canonical): test
            for test in TestRecipient.objects.filter(account=account, canonical__in={c for _, c in wanted.values()})
        }
        return {channel: found[key] for channel, key in wanted.items() if key in found}
    return {channel: pickle.loads(cached[key]) for channel, key in wanted.items() if key in cached}  # noqa: S301 - ours


def test_recipients_hold(*, account: Account, session, rows: list) -> list:
    """Of a live send's or resend's saved rows, those still to charge and deliver. Rows to test
    recipients get the fixed code's hash now and are SENT by no provider (nothing queued or charged)."""
    held = test_recipients_for(account=account, recipients={row.channel: row.recipient for row in rows})
    if not held:
        return rows
    hashes = {}
    for row in rows:
        test = held.get(row.channel)
        if test is None:
            continue
        if test.code_length != session.otp_length:
            raise _field_error(
                "config.otp_length",
                f"recipients.{row.channel} is a test recipient whose fixed code has {test.code_length} digits; "
                f"send with config.otp_length {test.code_length}.",
            )
        code = code_open(test.code_sealed)
        with codes_redacted(code):
            hashes[row.pk] = hash_code(
                pepper=settings.OTP_PEPPER, session_id=str(session.id), channel=row.channel, code=code,
                rounds=otp_setting("BCRYPT_ROUNDS"),
            )
    channels_held_for_test(rows=[row for row in rows if row.pk in hashes], code_hashes=hashes)
    return [row for row in rows if row.pk not in hashes]
