"""The per-process cache of API keys (accounts.auth_cache): what it saves, and how late a change made
elsewhere takes effect (API_KEY_CACHE_SECONDS, documented in docs/security.md)."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.auth_cache import api_key_cached, api_key_used, cache_clear
from accounts.models import AbusePolicy, Account, ApiKey
from accounts.services import api_key_revoke
from otp.models import ChannelVerification, OTPSession

pytestmark = pytest.mark.django_db
SESSIONS = "/api/v1/otp/sessions"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache_clear()
    yield
    cache_clear()


def status_with(key, path=SESSIONS):
    return APIClient().get(path, HTTP_X_API_KEY=key).status_code


def _live(account):
    return ApiKey.objects.get(account=account, mode="live")


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_seconds(account_keys, settings):
    settings.API_KEY_CACHE_SECONDS = 1
    assert status_with(account_keys.live_key) == 200
    # Another process's revocation, or SQL: no signal reaches this process's cache.
    ApiKey.objects.filter(pk=_live(account_keys.account).pk).update(revoked_at=timezone.now())
    assert status_with(account_keys.live_key) == 200  # still cached: the documented delay
    time.sleep(1.1)
    assert status_with(account_keys.live_key) == 401


def test_an_account_deactivated_elsewhere_is_refused_within_the_cache_seconds(account_keys, settings):
    settings.API_KEY_CACHE_SECONDS = 1
    assert status_with(account_keys.test_key) == 200
    Account.objects.filter(pk=account_keys.account.pk).update(is_active=False)
    time.sleep(1.1)
    assert status_with(account_keys.test_key) == 401


def test_a_revocation_in_this_process_takes_effect_at_once(account_keys):
    assert status_with(account_keys.live_key) == 200
    api_key_revoke(api_key=_live(account_keys.account))
    assert status_with(account_keys.live_key) == 401
    assert status_with(account_keys.test_key) == 200


def test_a_revocation_time_reached_while_cached_is_judged_against_the_clock(account_keys, settings):
    settings.API_KEY_CACHE_SECONDS = 60
    key = _live(account_keys.account)
    key.revoked_at = timezone.now() + timedelta(seconds=1)
    key.save(update_fields=["revoked_at"])
    assert status_with(account_keys.live_key) == 200
    time.sleep(1.1)
    assert status_with(account_keys.live_key) == 401


def test_a_cached_key_still_needs_its_whole_secret(account_keys):
    assert status_with(account_keys.live_key) == 200
    forged = account_keys.live_key[:-4] + ("AAAA" if not account_keys.live_key.endswith("AAAA") else "BBBB")
    assert status_with(forged) == 401


def test_the_abuse_policy_comes_with_the_key_and_a_saved_one_is_seen_at_once(account_keys, django_assert_num_queries):
    prefix = _live(account_keys.account).prefix
    api_key_cached(prefix=prefix)
    with django_assert_num_queries(0):
        cached = api_key_cached(prefix=prefix)
        with pytest.raises(AbusePolicy.DoesNotExist):
            cached.account.abuse_policy  # noqa: B018 - the read is the test
    AbusePolicy.objects.create(account=account_keys.account, send_rate="7/m")
    assert api_key_cached(prefix=prefix).account.abuse_policy.send_rate == "7/m"
    with django_assert_num_queries(0):
        assert api_key_cached(prefix=prefix).account.abuse_policy.send_rate == "7/m"


def test_each_hit_is_a_fresh_copy(account_keys):
    prefix = _live(account_keys.account).prefix
    first = api_key_cached(prefix=prefix)
    first.account.name = "changed by one request"
    assert api_key_cached(prefix=prefix).account.name == "Acme"


@pytest.mark.parametrize(("seconds", "bound"), [(5, 1), (0, 2)])
def test_a_session_get_runs_one_query_once_the_key_is_cached(account_keys, settings, django_assert_max_num_queries,
                                                                seconds, bound):
    settings.API_KEY_CACHE_SECONDS = seconds
    now = timezone.now()
    session = OTPSession.objects.create(account=account_keys.account, created_at=now, last_sent_at=now,
                                        expires_at=now + timedelta(minutes=10))
    ChannelVerification.objects.create(session=session, channel="email", recipient="a@example.com")
    path = f"{SESSIONS}/{session.pk}"
    assert status_with(account_keys.live_key, path) == 200  # caches the key and records last_used_at
    with django_assert_max_num_queries(bound) as captured:
        assert status_with(account_keys.live_key, path) == 200
    # The session joined to its channel rows (otp.selectors.session_get); the key's lookup only without the cache.
    assert len(captured.captured_queries) == bound


def test_a_request_recording_its_use_never_puts_back_a_key_revoked_meanwhile(account_keys):
    prefix = _live(account_keys.account).prefix
    held = api_key_cached(prefix=prefix)  # request A, before the revocation
    api_key_revoke(api_key=_live(account_keys.account))  # in this process: dropped at once
    assert api_key_cached(prefix=prefix).revoked_at is not None  # request C reads it again
    held.last_used_at = timezone.now()
    api_key_used(api_key=held)  # A records its use afterwards
    cached = api_key_cached(prefix=prefix)
    assert cached.revoked_at is not None
    assert cached.last_used_at == held.last_used_at
    assert status_with(account_keys.live_key) == 401
