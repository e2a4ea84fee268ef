"""Property tests for code hashing and session tokens, plus how the API treats bad tokens."""
import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from otp.conf import otp_setting
from otp.hashing import check_code, generate_code, hash_code
from otp.models import ChannelVerification
from otp.tokens import ISSUER, TokenError, token_decode, token_issue

SECRET = "token-secret-for-tests-" + "0123456789abcdef" * 3
PEPPER = "pepper-for-tests-0123456789abcdef"
ROUNDS = 4
NOW = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)

codes = st.integers(min_value=4, max_value=8).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)
channels = st.sampled_from(["email", "sms", "whatsapp"])
session_ids = st.uuids().map(str)
peppers = st.text(min_size=1, max_size=64)
bcrypt_examples = hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hash(code, *, pepper=PEPPER, session_id="s-1", channel="email"):
    return hash_code(pepper=pepper, session_id=session_id, channel=channel, code=code, rounds=ROUNDS)


def _check(code, code_hash, *, pepper=PEPPER, session_id="s-1", channel="email"):
    return check_code(pepper=pepper, session_id=session_id, channel=channel, code=code, code_hash=code_hash)


# --- hashing ------------------------------------------------------------------------------------


@given(length=st.integers(min_value=1, max_value=16))
def test_generated_code_has_the_requested_number_of_ascii_digits(length):
    code = generate_code(length)
    assert len(code) == length
    assert set(code) <= set("0123456789")


@bcrypt_examples
@given(code=codes, session_id=session_ids, channel=channels, pepper=peppers)
def test_hash_then_check_with_the_same_inputs_succeeds(code, session_id, channel, pepper):
    code_hash = _hash(code, pepper=pepper, session_id=session_id, channel=channel)
    assert _check(code, code_hash, pepper=pepper, session_id=session_id, channel=channel)


@bcrypt_examples
@given(code=codes, other=codes)
def test_a_different_code_fails_the_check(code, other):
    assume(other != code)
    assert not _check(other, _hash(code))


@bcrypt_examples
@given(code=codes, channel=channels, other=channels)
def test_a_hash_bound_to_one_channel_fails_for_another(code, channel, other):
    assume(other != channel)
    assert not _check(code, _hash(code, channel=channel), channel=other)


@bcrypt_examples
@given(code=codes, session_id=session_ids, other=session_ids)
def test_a_hash_bound_to_one_session_fails_for_another(code, session_id, other):
    assume(other != session_id)
    assert not _check(code, _hash(code, session_id=session_id), session_id=other)


@bcrypt_examples
@given(code=codes, pepper=peppers, other=peppers)
def test_a_hash_made_with_one_pepper_fails_with_another(code, pepper, other):
    assume(other != pepper)
    assert not _check(code, _hash(code, pepper=pepper), pepper=other)


@bcrypt_examples
@given(code=codes, rounds=st.integers(min_value=4, max_value=6))
def test_hash_is_bcrypt_at_the_given_cost_and_never_contains_the_code(code, rounds):
    code_hash = hash_code(pepper=PEPPER, session_id="s-1", channel="sms", code=code, rounds=rounds)
    assert code_hash.startswith(f"$2b${rounds:02d}$")
    assert len(code_hash) == 60
    assert code not in code_hash


@pytest.mark.django_db
@pytest.mark.parametrize("rounds", [4, 5])
def test_stored_hash_uses_the_configured_bcrypt_rounds(sandbox_api, settings, rounds):
    settings.OTP = {**settings.OTP, "BCRYPT_ROUNDS": rounds}
    sent = sandbox_api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}})
    assert sent.status_code == 200, sent.json()
    row = ChannelVerification.objects.get(session_id=sent.json()["session_id"])
    assert otp_setting("BCRYPT_ROUNDS") == rounds
    assert row.code_hash.startswith(f"$2b${rounds:02d}$")
    assert sent.json()["sandbox_otps"]["email"] not in row.code_hash


@given(code=codes, garbage=st.text(max_size=80))
def test_check_against_an_empty_or_garbage_hash_is_false(code, garbage):
    assert not _check(code, "")
    assert not _check(code, garbage)


def test_check_against_a_truncated_hash_is_false():
    assert not _check("123456", _hash("123456")[:-5])


# --- tokens -------------------------------------------------------------------------------------


def _claims(**overrides):
    claims = {
        "sid": str(uuid.uuid4()),
        "acc": str(uuid.uuid4()),
        "iss": ISSUER,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(hours=24)).timestamp()),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _decode(token: str, secret: str = SECRET):
    return token_decode(secret=secret, token=token)


@given(session_id=session_ids, account_id=session_ids, ttl=st.integers(min_value=60, max_value=7 * 86400))
def test_issued_token_decodes_to_its_session_and_account(session_id, account_id, ttl):
    token = token_issue(secret=SECRET, session_id=session_id, account_id=account_id, now=datetime.now(UTC), ttl_seconds=ttl)
    claims = _decode(token)
    assert (claims.session_id, claims.account_id) == (session_id, account_id)


def test_token_carries_only_ids_and_timing_claims():
    token = token_issue(secret=SECRET, session_id="s", account_id="a", now=datetime.now(UTC), ttl_seconds=60)
    assert set(jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER)) == {"sid", "acc", "iss", "iat", "exp"}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


@pytest.mark.parametrize("signature", ["", "AAAA"])
def test_unsigned_alg_none_token_is_rejected(time_machine, signature):
    time_machine.move_to(NOW)
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.{signature}"
    with pytest.raises(TokenError):
        _decode(token)


def test_hs512_token_with_the_right_secret_is_rejected(time_machine):
    time_machine.move_to(NOW)
    with pytest.raises(TokenError):
        _decode(jwt.encode(_claims(), SECRET, algorithm="HS512"))


def test_rs256_token_is_rejected(time_machine):
    time_machine.move_to(NOW)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenError):
        _decode(jwt.encode(_claims(), private_key, algorithm="RS256"))


@given(other=st.text(alphabet="abcdef0123456789", min_size=32, max_size=64))
def test_token_signed_with_another_secret_is_rejected(other):
    assume(other != SECRET)
    token = token_issue(secret=other, session_id="s", account_id="a", now=datetime.now(UTC), ttl_seconds=60)
    with pytest.raises(TokenError):
        _decode(token)


def test_token_with_a_tampered_payload_is_rejected():
    token = token_issue(secret=SECRET, session_id="s", account_id="a", now=datetime.now(UTC), ttl_seconds=60)
    header, _, signature = token.split(".")
    forged = f"{header}.{_b64(_claims(acc='someone-else'))}.{signature}"
    with pytest.raises(TokenError):
        _decode(forged)


def test_token_is_rejected_once_expired(time_machine):
    time_machine.move_to(NOW, tick=False)
    token = token_issue(secret=SECRET, session_id="s", account_id="a", now=NOW, ttl_seconds=3600)
    time_machine.move_to(NOW + timedelta(seconds=3599))
    assert _decode(token).session_id == "s"
    time_machine.move_to(NOW + timedelta(seconds=3601))
    with pytest.raises(TokenError):
        _decode(token)


@pytest.mark.parametrize("missing", ["sid", "acc", "iss", "iat", "exp"])
def test_token_missing_a_claim_is_rejected(time_machine, missing):
    time_machine.move_to(NOW)
    with pytest.raises(TokenError):
        _decode(jwt.encode(_claims(**{missing: None}), SECRET, algorithm="HS256"))


@pytest.mark.parametrize("overrides", [{"iss": "someone-else"}, {"sid": 42}, {"acc": ["a"]}])
def test_token_with_a_wrong_issuer_or_non_string_ids_is_rejected(time_machine, overrides):
    time_machine.move_to(NOW)
    with pytest.raises(TokenError):
        _decode(jwt.encode(_claims(**overrides), SECRET, algorithm="HS256"))


# --- tokens through the API ---------------------------------------------------------------------


def _sandbox_session(client) -> dict:
    sent = client.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}})
    assert sent.status_code == 200, sent.json()
    return sent.json()


def _assert_error(response, status, code):
    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert response.json()["code"] == code


@pytest.mark.django_db
def test_another_accounts_token_is_session_not_found(sandbox_api, other_api):
    sent = _sandbox_session(sandbox_api)
    response = other_api.post("/api/v1/otp/verify", {"session_token": sent["session_token"], "otps": sent["sandbox_otps"]})
    _assert_error(response, 404, "session_not_found")


@pytest.mark.django_db
def test_validly_signed_token_naming_another_accounts_session_is_session_not_found(sandbox_api, other_api, settings):
    from accounts.models import Account

    sent = _sandbox_session(sandbox_api)
    other = Account.objects.get(name="Other")
    forged = token_issue(
        secret=settings.OTP_TOKEN_SECRET,
        session_id=sent["session_id"],
        account_id=str(other.id),
        now=datetime.now(UTC),
        ttl_seconds=600,
    )
    for path, body in [("verify", {"otps": sent["sandbox_otps"]}), ("resend", {})]:
        response = other_api.post(f"/api/v1/otp/{path}", {"session_token": forged, **body})
        _assert_error(response, 404, "session_not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_garbage_token_is_invalid_token(sandbox_api, token):
    _sandbox_session(sandbox_api)
    response = sandbox_api.post("/api/v1/otp/verify", {"session_token": token, "otps": {"email": "123456"}})
    _assert_error(response, 400, "invalid_token")
    assert response.json()["message"].startswith("Invalid session token")


@pytest.mark.django_db
def test_alg_none_token_for_a_real_session_is_invalid_token(sandbox_api, account):
    sent = _sandbox_session(sandbox_api)
    claims = _claims(sid=sent["session_id"], acc=str(account.id), iat=int(datetime.now(UTC).timestamp()),
                     exp=int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = sandbox_api.post("/api/v1/otp/verify", {"session_token": token, "otps": sent["sandbox_otps"]})
    _assert_error(response, 400, "invalid_token")
