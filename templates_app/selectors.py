"""Reads of templates, always scoped to one account."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import Account

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


def template_active_for(*, account_id, key: str, locales: Iterable[str]) -> dict[str, OTPTemplate]:
    """The account's active templates of `key` for these locales, by locale, in one query."""
    rows = OTPTemplate.objects.active().filter(account_id=account_id, key=key, locale__in=list(locales))
    return {row.locale: row for row in rows}
