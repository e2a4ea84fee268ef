"""Reads of templates, always scoped to one account."""
from __future__ import annotations

import pickle
from collections.abc import Iterable
from types import MappingProxyType

from django.db.models import QuerySet

from accounts.models import Account
from otpservice.process_cache import ProcessCache

from .exceptions import TemplateNotFound
from .models import OTPTemplate


def template_active_list(*, account: Account, locale: str | None = None) -> QuerySet[OTPTemplate]:
    templates = OTPTemplate.objects.active().filter(account=account)
    if locale is not None:
        templates = templates.filter(locale=locale)
    return templates.order_by("key", "locale")


def template_versions(*, account: Account, key: str, locale: str) -> QuerySet[OTPTemplate]:
    versions = OTPTemplate.objects.filter(account=account, key=key, locale=locale).order_by("-version")
    if not versions.exists():
        raise TemplateNotFound(details={"key": key, "locale": locale})
    return versions


def template_active_get(*, account: Account, key: str, locale: str) -> OTPTemplate:
    found = OTPTemplate.objects.active().filter(account=account, key=key, locale=locale).first()
    if found is None:
        raise TemplateNotFound(details={"key": key, "locale": locale})
    return found


# Every delivery reads its account's active template of its key: the active versions of one
# (account, key), every locale, are cached per process (otpservice.process_cache), so a worker reads
# none per delivery. The worker never is the process that saved a template, so a save reaches it
# within the TTL (docs/security.md). Each version is pickled on its own: a delivery unpickles only
# the locales it asks for, each a fresh copy. Over CACHED_MAX active locales (an account translating
# into everything) they are read per delivery as before; the cache weighs them in KB, so it holds
# at most CACHED_KB (32 MB) of them in all.
CACHED_MAX, CACHED_KB = 100, 32_768
_TOO_MANY = MappingProxyType({})
_active = ProcessCache("templates_active", max_weight=CACHED_KB, copies=False)


def active_key(account_id, key: str) -> tuple[str, str]:
    # One spelling per account (a UUID, or its text), the one saves and the services drop.
    return str(Account._meta.pk.to_python(account_id)), key


_active.drop_on_change(OTPTemplate, key=lambda row: active_key(row.account_id, row.key))


def templates_active_drop(*, account: Account, key: str) -> None:
    """For the services' QuerySet.update() of is_active, which sends no signal."""
    _active.drop(active_key(account.pk, key))


def _active_load(account_id, key: str) -> MappingProxyType:
    rows = list(OTPTemplate.objects.active().filter(account_id=account_id, key=key).order_by()[: CACHED_MAX + 1])
    if len(rows) > CACHED_MAX:
        return _TOO_MANY
    return MappingProxyType({row.locale: pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL) for row in rows})


def _weight_kb(index: MappingProxyType) -> int:
    return sum(len(blob) for blob in index.values()) // 1024 + 1


def template_active_for(*, account_id, key: str, locales: Iterable[str]) -> dict[str, OTPTemplate]:
    """The account's active templates of `key` for these locales, by locale: from the cache, else
    in one query."""
    locales = list(locales)
    cached = _active.get(active_key(account_id, key), lambda: _active_load(account_id, key), weight=_weight_kb)
    if cached is _TOO_MANY:
        rows = OTPTemplate.objects.active().filter(account_id=account_id, key=key, locale__in=locales)
        return {row.locale: row for row in rows}
    return {locale: pickle.loads(cached[locale]) for locale in locales if locale in cached}  # noqa: S301 - ours
