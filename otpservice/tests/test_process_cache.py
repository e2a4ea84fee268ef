"""otpservice.process_cache: the TTL, the bound, the copies, and the drops that keep the process
that made a change from serving what it changed (even with threads, before its commit)."""
import pytest
from django.db import transaction

from accounts.models import AbusePolicy
from otpservice.process_cache import ALL, ProcessCache, clear_all


def loaded(value):
    calls = []

    def load():
        calls.append(1)
        return value

    return load, calls


def test_a_value_is_loaded_once_then_served_until_its_ttl_passes(cache_clock, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    cache = ProcessCache("test_ttl")
    load, calls = loaded({"a": 1})
    assert cache.get("k", load) == {"a": 1}
    cache_clock.advance(4.9)
    assert cache.get("k", load) == {"a": 1} and len(calls) == 1
    cache_clock.advance(0.1)
    assert cache.get("k", load) == {"a": 1} and len(calls) == 2


def test_the_ttl_counts_from_before_the_read(cache_clock, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    cache = ProcessCache("test_ttl_read")

    def slow_load():
        cache_clock.advance(2)  # a slow query: the rows are as old as its start
        return "rows"

    cache.get("k", slow_load)
    cache_clock.advance(3)
    assert cache.lookup("k") is None


def test_a_ttl_of_zero_caches_nothing(cache_clock, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    cache = ProcessCache("test_off")
    load, calls = loaded("v")
    cache.get("k", load)
    cache.get("k", load)
    assert len(calls) == 2 and len(cache) == 0


def test_each_hit_is_a_fresh_copy_unless_the_cache_holds_immutable_values(cache_clock):
    copied = ProcessCache("test_copies")
    copied.get("k", lambda: {"list": [1]})
    copied.get("k", lambda: None)["list"].append(2)
    assert copied.get("k", lambda: None) == {"list": [1]}
    frozen = ProcessCache("test_frozen", copies=False)
    value = (1, 2)
    frozen.get("k", lambda: value)
    assert frozen.get("k", lambda: None) is value


def test_none_is_never_cached(cache_clock):
    cache = ProcessCache("test_none")
    load, calls = loaded(None)
    cache.get("k", load)
    cache.get("k", load)
    assert len(calls) == 2


def test_the_weight_bounds_the_cache_which_empties_when_full(cache_clock):
    cache = ProcessCache("test_weight", max_weight=10)
    cache.get("a", lambda: "a", weight=lambda _: 6)
    cache.get("b", lambda: "b", weight=lambda _: 4)
    assert len(cache) == 2
    cache.get("c", lambda: "c", weight=lambda _: 1)  # 11 > 10: everything goes, then c is kept
    assert cache.lookup("a") is None and cache.lookup("c") == "c"
    cache.get("huge", lambda: "huge", weight=lambda _: 11)  # heavier than the cache: never kept
    assert cache.lookup("huge") is None and cache.lookup("c") == "c"
    cache.put("c", "c2", weight=9, ticket=cache.ticket())  # a replaced entry's weight is given back
    cache.put("d", "d", weight=1, ticket=cache.ticket())
    assert cache.lookup("c") == "c2" and cache.lookup("d") == "d"
    cache.drop("c")  # and a dropped one's
    cache.put("e", "e", weight=9, ticket=cache.ticket())
    assert cache.lookup("d") == "d" and cache.lookup("e") == "e"


def test_a_read_begun_before_a_drop_is_not_kept(cache_clock):
    # Another thread read the old rows, then this one saved and dropped: the old read must not land.
    cache = ProcessCache("test_ticket")
    ticket = cache.ticket()
    cache.drop("k")
    cache.put("k", "old rows", ticket=ticket)
    assert cache.lookup("k") is None
    cache.put("k", "new rows", ticket=cache.ticket())
    assert cache.lookup("k") == "new rows"


@pytest.mark.django_db
def test_a_drop_inside_a_transaction_is_repeated_at_its_commit(cache_clock, django_capture_on_commit_callbacks):
    cache = ProcessCache("test_commit")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cache.drop("k")
        # Until the commit, other connections still read the old rows, and may cache them.
        cache.put("k", "old rows", ticket=cache.ticket())
        assert cache.lookup("k") == "old rows"
    assert cache.lookup("k") is None


@pytest.mark.django_db
def test_drop_on_change_drops_the_instance_key_or_everything(cache_clock, account):
    by_account = ProcessCache("test_signal_key")
    by_account.drop_on_change(AbusePolicy, key=lambda policy: policy.account_id)
    everything = ProcessCache("test_signal_all")
    everything.drop_on_change(AbusePolicy)
    by_account.drop_on_change(AbusePolicy, key=lambda policy: policy.account_id)  # once, however often
    for cache in (by_account, everything):
        cache.get(account.pk, lambda: "policy")
        cache.get("other", lambda: "other")
    policy = AbusePolicy.objects.create(account=account)
    assert by_account.lookup(account.pk) is None and by_account.lookup("other") == "other"
    assert everything.lookup("other") is None
    everything.get("other", lambda: "other")
    policy.delete()
    assert everything.lookup("other") is None


def test_clear_all_empties_every_cache(cache_clock):
    caches = [ProcessCache("test_clear_a"), ProcessCache("test_clear_b")]
    for cache in caches:
        cache.get("k", lambda: "v")
    clear_all()
    assert all(len(cache) == 0 for cache in caches)
    caches[0].get("k", lambda: "v")
    caches[0].drop(ALL)
    assert len(caches[0]) == 0
