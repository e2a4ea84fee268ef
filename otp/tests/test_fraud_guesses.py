"""Property: no sequence of sends, resends and verifies gets more wrong codes compared per recipient
than the cap, whatever the spelling, the sessions, their attempts and resends (services, real DB)."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AbusePolicy
from conftest import funded_account
from otp.fraud import testrecipients
from otp.services import session_resend, session_send, session_verify
from otpservice.errors import ServiceError

pytestmark = pytest.mark.django_db

CODE = "2468"
# One Gmail inbox, four spellings: one recipient to the fraud guard.
SPELLINGS = ["ada@gmail.com", "A.da@gmail.com", "a.d.a+shop@googlemail.com", "ADA+x@Gmail.com"]
_names = itertools.count()

op = st.one_of(
    st.tuples(st.just("send"), st.integers(0, len(SPELLINGS) - 1), st.integers(1, 5)),
    st.tuples(st.just("verify"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("resend"), st.integers(0, 7), st.just(0)),
)


def _config(max_attempts):
    return {"otp_length": 4, "expiry_minutes": 10, "max_attempts": max_attempts, "verification_strategy": "all"}


def _compared_wrong(results) -> int:
    return sum(1 for result in results.values() if result["message"] == "Invalid OTP")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.integers(1, 6), ops=st.lists(op, max_size=40))
def test_no_sequence_gets_more_wrong_guesses_compared_per_recipient_than_the_cap(cap, ops, settings_fixture):
    account = funded_account(f"Guesser {next(_names)}").account
    AbusePolicy.objects.create(account=account, fraud_failed_verifications=cap)
    testrecipients.test_recipient_create(account=account, recipient="ada@gmail.com", code=CODE)  # right codes are known
    sessions, wrong_compared = [], 0
    for kind, index, extra in ops:
        try:
            if kind == "send":
                sent = session_send(
                    account=account, recipients={"email": SPELLINGS[index]}, channels=["email"],
                    config=_config(extra), metadata={}, add_contact=False, sandbox=False,
                )
                sessions.append(str(sent.session.id))
            elif sessions and kind == "verify":
                token = sessions[index % len(sessions)]
                outcome = session_verify(
                    account=account, sandbox_only=False, token=token, codes={"email": CODE if extra else "1111"}
                )
                wrong_compared += _compared_wrong(outcome.results)
            elif sessions:
                session_resend(account=account, sandbox_only=False, token=sessions[index % len(sessions)], channels=None)
        except ServiceError as error:
            wrong_compared += _compared_wrong(error.details.get("verification_results", {}))
        assert wrong_compared <= cap


@pytest.fixture
def settings_fixture(settings):
    settings.OTP = {
        **settings.OTP, "RATE_RECIPIENT": "100000/h", "RATE_IP": "100000/h", "RESEND_COOLDOWN_SECONDS": 0,
        "MAX_RESENDS": 1000, "FRAUD_RECIPIENT_SENDS": 1000,
    }


def test_guessing_over_many_sessions_compares_exactly_the_cap_then_sends_are_refused(settings_fixture):
    account = funded_account("Guesser").account
    AbusePolicy.objects.create(account=account, fraud_failed_verifications=3)
    sessions = [
        session_send(
            account=account, recipients={"email": spelling}, channels=["email"], config=_config(2),
            metadata={}, add_contact=False, sandbox=False,
        ).session
        for spelling in SPELLINGS
    ]
    wrong = 0
    for session in sessions:
        for _ in range(3):
            try:
                session_verify(account=account, sandbox_only=False, token=str(session.id), codes={"email": "1111"})
            except ServiceError as error:
                wrong += _compared_wrong(error.details.get("verification_results", {}))
    assert wrong == 3
    with pytest.raises(ServiceError) as refused:
        session_send(
            account=account, recipients={"email": "ada@gmail.com"}, channels=["email"], config=_config(2),
            metadata={}, add_contact=False, sandbox=False,
        )
    assert refused.value.code == "recipient_locked"
