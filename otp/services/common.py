"""Pieces shared by the OTP write services: session handles (JWT or id) to locked sessions, and
sandbox codes or a charge and queued delivery."""
from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from accounts.models import Account
from otpservice.logging import codes_redacted
from wallet.services import wallet_charge

from .. import metrics
from ..conf import otp_setting
from ..exceptions import InvalidToken, SessionNotFound
from ..fraud.testrecipients import test_recipients_hold
from ..hashing import generate_code, hash_code
from ..models import ChannelVerification, DeliveryStatus, OTPSession
from ..ratelimits.policy import limits_for
from ..tasks import enqueue_delivery
from ..tokens import TokenError, token_decode


def sandbox_codes_issue(*, session: OTPSession, rows: list[ChannelVerification]) -> dict[str, str]:
    """Generate and hash codes in the request (sandbox only: nothing is delivered)."""
    codes = {}
    for row in rows:
        code = generate_code(session.otp_length)
        # The plain code is in this process now: no log line (or exception logged later) may carry it.
        with codes_redacted(code):
            row.code_hash = hash_code(
                pepper=settings.OTP_PEPPER,
                session_id=str(session.id),
                channel=row.channel,
                code=code,
                rounds=otp_setting("BCRYPT_ROUNDS"),
            )
        codes[row.channel] = code
    return codes


def codes_issue(
    *,
    account: Account,
    session: OTPSession,
    rows: list[ChannelVerification],
    save: Callable[[list[ChannelVerification]], list[ChannelVerification]],
) -> tuple[list[ChannelVerification], dict[str, str]]:
    """The one sandbox-or-charge step of send and resend; returns the saved rows and sandbox codes.

    Sandbox: codes are made and hashed here, before `save` writes the rows (the insert of a send,
    the generation bump of a resend), and returned to the caller; nothing is charged or sent.
    Otherwise the saved rows are charged in the caller's transaction (402 rolls it all back) and
    queued for the worker on commit, which makes the codes.
    """
    codes = sandbox_codes_issue(session=session, rows=rows) if session.sandbox else {}
    rows = save(rows)
    if session.sandbox:
        metrics.codes_issued(rows=rows, sandbox=True)
        return rows, codes
    # Rows to the account's test recipients get their fixed code's hash here: never charged or queued.
    # With fallback delivery only the chain's first channel is charged and queued now; the NOT_SENT
    # ones are charged when the chain reaches them (otp.delivery.fallback).
    held = test_recipients_hold(account=account, session=session, rows=rows)
    deliver = [row for row in held if row.delivery_status == DeliveryStatus.QUEUED]
    rows_charge(account=account, session=session, rows=deliver)
    metrics.codes_issued(rows=deliver, sandbox=False)
    for row in deliver:
        # Robust: a broker failure after commit is logged, not a 500 for a session that exists and
        # is charged; housekeeping refunds the unsent channel when the session ends.
        transaction.on_commit(
            lambda row_id=row.pk, channel=row.channel, generation=row.generation: enqueue_delivery(
                channel_row_id=row_id, channel=channel, generation=generation, expires_in=session.expiry_minutes * 60
            ),
            robust=True,
        )
    return rows, {}


def rows_charge(*, account: Account, session: OTPSession, rows: list[ChannelVerification]) -> None:
    """Charge every delivered channel in the caller's transaction; 402 rolls the whole send back."""
    wallet_charge(
        account=account,
        session_id=session.pk,
        generations={row.channel: row.generation for row in rows},
        actor="api",
        daily_spend_cap=limits_for(account).daily_spend_cap,
    )


# The session id as send returns it (canonical UUID text, any case): the other session handle.
_SESSION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def handle_is_session_id(token: str) -> bool:
    """The handle is the session id itself, not the JWT from send (DESIGN §4, Session handle)."""
    return _SESSION_ID.fullmatch(token) is not None


def session_for_token(*, account: Account, sandbox_only: bool, token: str) -> OTPSession:
    """The caller's session named by a handle, locked for the rest of the transaction.

    The handle is the JWT from send or the session id: either way only a session of `account`
    is found, and with `sandbox_only` (a test key) a live session is not found, whatever the
    handle says. A valid JWT of another account is a 404, like an id of another account.
    """
    if handle_is_session_id(token):
        session_id = token.lower()
    else:
        try:
            claims = token_decode(secret=settings.OTP_TOKEN_SECRET, token=token)
        except TokenError as exc:
            raise InvalidToken() from exc
        if claims.account_id != str(account.id):
            raise SessionNotFound()
        session_id = claims.session_id
    try:
        return (
            OTPSession.objects.reachable(account=account, sandbox_only=sandbox_only)
            .select_for_update()
            .get(pk=session_id)
        )
    except (OTPSession.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise SessionNotFound() from exc
