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
"""
from __future__ import annotations

import pickle
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from .models import AbusePolicy, Account, ApiKey

MAX_ENTRIES = 10_000
_entries: dict[str, tuple[float, bytes]] = {}


def _ttl() -> float:
    return float(getattr(settings, "API_KEY_CACHE_SECONDS", 5))


def api_key_cached(*, prefix: str) -> ApiKey | None:
    """The key with this prefix, its account and abuse policy loaded; None if there is none."""
    ttl = _ttl()
    now = time.monotonic()
    entry = _entries.get(prefix) if ttl > 0 else None
    if entry is not None and entry[0] > now:
        return pickle.loads(entry[1])  # noqa: S301 - bytes this process pickled itself
    api_key = ApiKey.objects.select_related("account", "account__abuse_policy").filter(prefix=prefix).first()
    if api_key is not None and ttl > 0:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[prefix] = (now + ttl, pickle.dumps(api_key))
    return api_key


def api_key_used(*, api_key: ApiKey) -> None:
    """Keep the cached copy's last_used_at, so the next hit does not record the use again."""
    entry = _entries.get(api_key.prefix)
    if entry is not None:
        _entries[api_key.prefix] = (entry[0], pickle.dumps(api_key))


def cache_clear() -> None:
    _entries.clear()


def _key_changed(sender, instance: ApiKey, **kwargs) -> None:
    _entries.pop(instance.prefix, None)


def _account_changed(sender, instance, **kwargs) -> None:
    # Rare writes (an account or its policy edited): every entry goes, whatever account it is of.
    _entries.clear()


for _name, _signal in (("save", post_save), ("delete", post_delete)):
    _signal.connect(_key_changed, sender=ApiKey, dispatch_uid=f"auth_cache_apikey_{_name}")
    for _model in (Account, AbusePolicy):
        _signal.connect(_account_changed, sender=_model, dispatch_uid=f"auth_cache_{_model.__name__}_{_name}")
