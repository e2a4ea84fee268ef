"""The account's block and allow lists and test recipients, cached in the process for every send
(otp.fraud.lists, otp.fraud.testrecipients): changed through the API they count from the very next
send; changed behind the cache's back (another process; bulk_create sends no signal) within
API_KEY_CACHE_SECONDS; longer lists than the bound are looked up per send, as before."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otp.fraud import lists, testrecipients
from otp.fraud.lists import list_value_parse
from otp.fraud.models import FraudListEntry, TestRecipient
from otp.fraud.sealing import code_seal
from otp.models import ChannelVerification
from wallet.models import LedgerEntry

pytestmark = pytest.mark.django_db

SEND, BLOCK, TESTS = "/api/v1/otp/send", "/api/v1/otp/blocklist", "/api/v1/otp/test-recipients"
TTL = 5
CODE = "739104"


@pytest.fixture(autouse=True)
def _ttl(settings):
    settings.API_KEY_CACHE_SECONDS = TTL


def send(api, email, **extra):
    return api.post(SEND, {"channels": ["email"], "recipients": {"email": email}, **extra})


def blocked(api, email) -> bool:
    response = send(api, email)
    assert response.status_code in (200, 403), response.json()
    return response.status_code == 403 and response.json()["code"] == "recipient_blocked"


def block_behind_the_cache(account, *values):
    entries = []
    for value in values:
        value_kind, stored, match = list_value_parse(value)
        entries.append(FraudListEntry(account=account, kind="block", value_kind=value_kind, value=stored, match=match))
    FraudListEntry.objects.bulk_create(entries)


def list_reads(captured) -> int:
    return sum('FROM "otp_fraudlistentry"' in q["sql"] for q in captured.captured_queries)


# --- block and allow lists ------------------------------------------------------------------


def test_an_entry_added_or_removed_through_the_api_counts_from_the_very_next_send(api):
    assert not blocked(api, "ada@example.com")  # caches the (empty) list
    entry = api.post(BLOCK, {"value": "@example.com"})
    assert entry.status_code == 201
    assert blocked(api, "someone-new@example.com")
    assert api.delete(f"{BLOCK}/{entry.json()['data']['id']}").status_code == 204
    assert not blocked(api, "someone-else@example.com")


def test_an_entry_added_behind_the_cache_counts_once_the_ttl_passes(api, account, cache_clock):
    assert not blocked(api, "ada@example.com")
    block_behind_the_cache(account, "@example.com")
    assert not blocked(api, "grace@example.com")  # the documented delay
    cache_clock.advance(TTL)
    assert blocked(api, "grace@example.com")


def test_with_a_ttl_of_zero_an_entry_added_behind_the_cache_counts_at_once(api, account, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    assert not blocked(api, "ada@example.com")
    block_behind_the_cache(account, "@example.com")
    assert blocked(api, "grace@example.com")


def test_a_warm_list_answers_new_recipients_without_a_query(api, account):
    block_behind_the_cache(account, "a.d.a@gmail.com", "+33")
    with CaptureQueriesContext(connection) as cold:
        assert blocked(api, "ada+x@gmail.com")  # the canonical match, from the loaded list
    with CaptureQueriesContext(connection) as warm:
        assert not blocked(api, "never-seen@example.com")
        assert blocked(api, "A.D.A@gmail.com")
    assert (list_reads(cold), list_reads(warm)) == (1, 0)


def test_a_list_longer_than_the_bound_is_looked_up_per_send_with_the_same_verdicts(api, account):
    block_behind_the_cache(account, *(f"user{n}@example.org" for n in range(lists.CACHED_MAX)), "@blocked.example")
    with CaptureQueriesContext(connection) as first:
        assert blocked(api, "user7@example.org")
    with CaptureQueriesContext(connection) as second:
        assert blocked(api, "x@blocked.example")
        assert not blocked(api, "user7@example.com")
    # The load that finds the list too long, then the per-send lookup, each send.
    assert (list_reads(first), list_reads(second)) == (2, 2)


# --- test recipients ------------------------------------------------------------------------


def held(api, email) -> bool:
    """Whether a send to `email` went to a test recipient: SENT by no provider, nothing charged."""
    charges = LedgerEntry.objects.filter(kind="charge").count()
    response = send(api, email, config={"otp_length": len(CODE)})
    assert response.status_code == 200, response.json()
    row = ChannelVerification.objects.get(session_id=response.json()["session_id"])
    is_held = row.provider == "test_recipient"
    assert is_held == (LedgerEntry.objects.filter(kind="charge").count() == charges)
    return is_held


def recipient_behind_the_cache(account, email):
    TestRecipient.objects.bulk_create([TestRecipient(
        account=account, kind="email", recipient=email, canonical=email, code_sealed=code_seal(CODE),
        code_length=len(CODE),
    )])


def test_a_test_recipient_made_or_deleted_through_the_api_counts_from_the_very_next_send(api):
    assert not held(api, "reviewer@example.com")
    made = api.post(TESTS, {"recipient": "reviewer@example.com", "code": CODE})
    assert made.status_code == 201
    assert held(api, "reviewer@example.com")
    assert api.delete(f"{TESTS}/{made.json()['data']['id']}").status_code == 204
    assert not held(api, "reviewer@example.com")


def test_a_test_recipient_made_behind_the_cache_counts_once_the_ttl_passes(api, account, cache_clock):
    assert not held(api, "someone@example.com")
    recipient_behind_the_cache(account, "reviewer@example.com")
    assert not held(api, "reviewer@example.com")  # the documented delay: delivered and charged
    cache_clock.advance(TTL)
    assert held(api, "reviewer@example.com")


def test_with_a_ttl_of_zero_a_test_recipient_made_behind_the_cache_counts_at_once(api, account, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    assert not held(api, "someone@example.com")
    recipient_behind_the_cache(account, "reviewer@example.com")
    assert held(api, "reviewer@example.com")


def test_cached_test_recipients_keep_their_code_sealed_and_it_still_verifies(api):
    api.post(TESTS, {"recipient": "reviewer@example.com", "code": CODE})
    assert held(api, "reviewer@example.com")  # loads the account's test recipients
    sent = send(api, "reviewer@example.com", config={"otp_length": len(CODE)})  # served from the cache
    # What the cache holds is the row as stored: the sealed code, never the code (read from its
    # internals on purpose: nothing else shows what stays in memory).
    blobs = [blob for _expires, index, _weight in testrecipients._tests._entries.values() for blob in index.values()]
    assert blobs and all(CODE.encode() not in blob for blob in blobs)
    verified = api.post("/api/v1/otp/verify", {"session_token": sent.json()["session_token"], "otps": {"email": CODE}})
    assert verified.json()["status"] == "VERIFIED"


def test_test_recipients_over_the_bound_are_looked_up_per_send(api, account):
    TestRecipient.objects.bulk_create([
        TestRecipient(account=account, kind="email", recipient=f"r{n}@example.com", canonical=f"r{n}@example.com",
                      code_sealed=code_seal(CODE), code_length=len(CODE))
        for n in range(testrecipients.CACHED_MAX + 1)
    ])
    with CaptureQueriesContext(connection) as captured:
        assert held(api, "r3@example.com")
        assert not held(api, "r3@example.org")
    # Each send: the load that finds too many (the first only; then cached) and the lookup.
    assert sum('FROM "otp_testrecipient"' in q["sql"] for q in captured.captured_queries) == 3
