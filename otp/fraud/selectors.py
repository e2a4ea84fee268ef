"""Reads of the fraud guard's resources, always scoped to one account."""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from accounts.models import Account

from .models import FraudDecision, FraudListEntry, TestRecipient


def decision_list(
    *, account: Account, rule: str | None = None, mode: str | None = None, created_after: datetime | None = None
) -> QuerySet[FraudDecision]:
    """Newest first, on the (account, rule | mode, created_at) indexes."""
    decisions = FraudDecision.objects.filter(account=account)
    if rule:
        decisions = decisions.filter(rule=rule)
    if mode:
        decisions = decisions.filter(mode=mode)
    if created_after:
        decisions = decisions.filter(created_at__gte=created_after)
    return decisions.order_by("-created_at", "-id")


def list_entries(*, account: Account, kind: str) -> QuerySet[FraudListEntry]:
    return FraudListEntry.objects.filter(account=account, kind=kind).order_by("-created_at", "-id")


def test_recipient_list(*, account: Account) -> list[TestRecipient]:
    return list(TestRecipient.objects.filter(account=account).order_by("created_at", "id"))
