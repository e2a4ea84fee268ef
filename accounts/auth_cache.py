"""A short-lived cache, in each process, of the lookup every API request makes: an API key with its
account and the account's abuse policy (read by the rate limits and the fraud guard).

Safe because nothing is trusted from it that the request does not check again: the presented key's
hash is compared with the cached one, and its revocation time and the account's `is_active` are
judged against the clock on every request. What the cache can make late is a change made elsewhere:

- in the process that made it (admin, `api_key_revoke`, any `save()` or `delete()` of a key, account
  or abuse policy), the entries concerned are dropped at once (signals, below);
- in every other process, and for writes that bypass signals (`QuerySet.update()`, SQL), a key
  revoked, an account deactivated or a policy changed takes effect within `API_KEY_CACHE_SECONDS`
  (5 s by default; 0 turns the cache off). docs/security.md states this.

Each hit hands out fresh model instances (unpickled), so no request sees another's changes to them.
The TTL, the bound and the copies are otpservice.process_cache's, shared with the other per-request reads.
"""
from __future__ import annotations

from otpservice.process_cache import ProcessCache

from .models import AbusePolicy, Account, ApiKey

MAX_ENTRIES = 10_000
_keys = ProcessCache("api_keys", max_weight=MAX_ENTRIES)


def api_key_cached(*, prefix: str) -> ApiKey | None:
    """The key with this prefix, its account and abuse policy loaded; None if there is none."""
    return _keys.get(
        prefix, lambda: ApiKey.objects.select_related("account", "account__abuse_policy").filter(prefix=prefix).first()
    )


def api_key_used(*, api_key: ApiKey) -> None:
    """Give the cached copy this request's last_used_at, so the next hit does not record the use
    again. Only that field: the rest of the cached copy may be newer than this request's (a key
    revoked meanwhile in this process must stay revoked)."""
    used = api_key.last_used_at

    def touched(cached: ApiKey) -> None:
        if cached.pk == api_key.pk:
            cached.last_used_at = used

    _keys.update(api_key.prefix, touched)


def cache_clear() -> None:
    _keys.clear()


_keys.drop_on_change(ApiKey, key=lambda api_key: api_key.prefix)
# Rare writes (an account or its policy edited): every entry goes, whatever account it is of.
_keys.drop_on_change(Account, AbusePolicy)
