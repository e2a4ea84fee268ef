"""Writes for accounts and API keys."""
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .keys import generate_key, parse_key
from .models import Account, ApiKey

# Recording every use would add a write to every request; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str


def api_key_issue(*, account: Account, mode: str, name: str = "") -> IssuedKey:
    """Create a key and return its only plain copy."""
    raw = generate_key(mode)
    parsed = parse_key(raw)
    api_key = ApiKey.objects.create(
        account=account, mode=mode, name=name, prefix=parsed.prefix, key_hash=parsed.key_hash
    )
    return IssuedKey(api_key=api_key, raw=raw)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use, at most once per LAST_USED_PRECISION, with one conditional UPDATE."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_PRECISION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


@dataclass(frozen=True)
class CreatedAccount:
    account: Account
    live_key: str
    test_key: str


@transaction.atomic
def account_create(*, name: str) -> CreatedAccount:
    account = Account.objects.create(name=name)
    live = api_key_issue(account=account, mode=ApiKey.Mode.LIVE, name="default live")
    test = api_key_issue(account=account, mode=ApiKey.Mode.TEST, name="default test")
    return CreatedAccount(account=account, live_key=live.raw, test_key=test.raw)
