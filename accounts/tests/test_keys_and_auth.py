"""API keys: hashed storage, formats, revocation, last use, inactive accounts, create_account."""
import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, ApiKey
from accounts.services import account_create, api_key_issue, api_key_revoke

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/otp/sessions"
KEY_FORMAT = {"live": re.compile(r"^sk_live_[A-Za-z0-9_-]{43}$"), "test": re.compile(r"^sk_test_[A-Za-z0-9_-]{43}$")}


def get_with(key):
    return APIClient().get(SESSIONS, HTTP_X_API_KEY=key)


def assert_401(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["code"], body["error"]["type"], body["code"]) == (
        "authentication_failed", "authentication_error", "authentication_failed",
    )
    assert body["message"].startswith("Invalid API key")


# --- storage and format -------------------------------------------------------------------------


def test_account_create_issues_one_live_and_one_test_key_in_their_formats(account_keys):
    assert KEY_FORMAT["live"].match(account_keys.live_key)
    assert KEY_FORMAT["test"].match(account_keys.test_key)
    modes = sorted(ApiKey.objects.filter(account=account_keys.account).values_list("mode", flat=True))
    assert modes == ["live", "test"]


@pytest.mark.parametrize("mode", ["live", "test"])
def test_a_key_is_stored_only_as_a_sha256_hash_and_a_lookup_prefix(account, mode):
    issued = api_key_issue(account=account, mode=mode)
    row = ApiKey.objects.get(pk=issued.api_key.pk)
    secret = issued.raw[len(f"sk_{mode}_") :]
    assert row.prefix == secret[:12]
    assert row.key_hash == hashlib.sha256(issued.raw.encode()).hexdigest()
    stored = " ".join(str(getattr(row, field.attname)) for field in ApiKey._meta.concrete_fields)
    assert issued.raw not in stored
    assert secret[12:] not in stored  # nothing beyond the public prefix
    assert issued.raw not in str(row) and secret[12:] not in repr(row)


def test_every_issued_key_is_distinct(account):
    raws = {api_key_issue(account=account, mode="live").raw for _ in range(20)}
    assert len(raws) == 20


# --- authentication -----------------------------------------------------------------------------


def test_live_and_test_keys_both_authenticate_as_their_account(account_keys):
    for key in (account_keys.live_key, account_keys.test_key):
        response = get_with(key)
        assert response.status_code == 200, response.content
        assert response.json()["pagination"]["total"] == 0


def test_a_revoked_key_is_401_and_the_other_keys_keep_working(account_keys):
    api_key_revoke(api_key=ApiKey.objects.get(account=account_keys.account, mode="live"))
    assert_401(get_with(account_keys.live_key))
    assert get_with(account_keys.test_key).status_code == 200


def test_revoking_twice_keeps_the_first_revocation_time(account):
    api_key = api_key_issue(account=account, mode="live").api_key
    first = api_key_revoke(api_key=api_key).revoked_at
    assert api_key_revoke(api_key=ApiKey.objects.get(pk=api_key.pk)).revoked_at == first


def test_a_key_of_an_inactive_account_is_401(account_keys):
    Account.objects.filter(pk=account_keys.account.pk).update(is_active=False)
    assert_401(get_with(account_keys.live_key))
    assert_401(get_with(account_keys.test_key))


def test_a_deleted_key_is_401(account_keys):
    ApiKey.objects.filter(account=account_keys.account).delete()
    assert_401(get_with(account_keys.live_key))


def test_surrounding_whitespace_in_the_header_is_ignored(account_keys):
    assert get_with(f"  {account_keys.live_key} ").status_code == 200


@pytest.mark.parametrize("mangle", [str.upper, lambda key: key[:-1], lambda key: key + "x", lambda key: key[:20]])
def test_a_mangled_key_is_401(account_keys, mangle):
    assert_401(get_with(mangle(account_keys.live_key)))


# --- last use -----------------------------------------------------------------------------------


def _live_row(account):
    return ApiKey.objects.get(account=account, mode="live")


def test_last_used_at_is_recorded_on_first_use(account_keys):
    assert _live_row(account_keys.account).last_used_at is None
    before = timezone.now()
    get_with(account_keys.live_key)
    used = _live_row(account_keys.account).last_used_at
    assert used is not None and before <= used <= timezone.now()
    assert ApiKey.objects.get(account=account_keys.account, mode="test").last_used_at is None


def test_last_used_at_is_not_rewritten_within_a_minute(account_keys):
    recent = timezone.now() - timedelta(seconds=30)
    ApiKey.objects.filter(pk=_live_row(account_keys.account).pk).update(last_used_at=recent)
    get_with(account_keys.live_key)
    assert _live_row(account_keys.account).last_used_at == recent


def test_last_used_at_is_refreshed_after_a_minute(account_keys):
    stale = timezone.now() - timedelta(seconds=61)
    ApiKey.objects.filter(pk=_live_row(account_keys.account).pk).update(last_used_at=stale)
    get_with(account_keys.live_key)
    assert _live_row(account_keys.account).last_used_at > stale + timedelta(seconds=60)


def test_a_failed_authentication_does_not_touch_last_used_at(account_keys):
    get_with(account_keys.live_key[:-2] + "zz")
    assert _live_row(account_keys.account).last_used_at is None


# --- create_account -----------------------------------------------------------------------------


def _create_account(*args):
    out = io.StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_account_prints_a_json_last_line_with_keys_that_authenticate():
    lines = _create_account("  Globex  ")
    created = json.loads(lines[-1])
    assert set(created) == {"account_id", "api_key", "test_api_key"}
    assert KEY_FORMAT["live"].match(created["api_key"])
    assert KEY_FORMAT["test"].match(created["test_api_key"])
    account = Account.objects.get(pk=created["account_id"])
    assert account.name == "Globex"
    assert account.api_keys.count() == 2
    for key in (created["api_key"], created["test_api_key"]):
        assert get_with(key).status_code == 200


def test_create_account_refuses_an_empty_name():
    with pytest.raises(CommandError):
        _create_account("   ")
    assert Account.objects.count() == 0


def test_create_account_with_balance_funds_the_wallet():
    from decimal import Decimal

    from wallet.models import Wallet

    created = json.loads(_create_account("Initech", "--balance", "12.5")[-1])
    wallet = Wallet.objects.get(account_id=created["account_id"])
    assert wallet.balance == int(Decimal("12.5") * 10_000)
    body = APIClient().get("/api/v1/wallet", HTTP_X_API_KEY=created["api_key"]).json()
    assert body["data"]["balance"] == "12.5000"


@pytest.mark.parametrize("balance", ["-1", "abc", "0.00001"])
def test_create_account_refuses_an_invalid_balance_and_creates_nothing(balance):
    with pytest.raises(CommandError):
        _create_account("Bad", "--balance", balance)
    assert Account.objects.count() == 0


def test_account_create_service_keys_belong_to_the_new_account():
    created = account_create(name="Hooli")
    rows = ApiKey.objects.filter(account=created.account)
    assert {row.prefix for row in rows} == {created.live_key[8:20], created.test_key[8:20]}
