"""Bulk create: each contact on its own, so one duplicate or bad entry does not stop the others."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import Account

from ..exceptions import ContactExists
from ..models import Contact
from .manage import contact_create


@dataclass
class BulkResult:
    created: list[Contact] = field(default_factory=list)
    # {index, email, external_id, reason, field, contact_id}: a contact of the account already holds it.
    skipped: list[dict[str, Any]] = field(default_factory=list)


def contact_bulk_create(*, account: Account, items: list[tuple[int, dict[str, Any]]]) -> BulkResult:
    """Create each (index, validated fields); a duplicate, also of an earlier entry, is skipped."""
    result = BulkResult()
    with transaction.atomic():
        for index, fields in items:
            try:
                result.created.append(contact_create(account=account, fields=fields))
            except ContactExists as exc:
                result.skipped.append(
                    {
                        "index": index,
                        "email": fields.get("email"),
                        "external_id": fields.get("external_id"),
                        "reason": exc.message,
                        "field": exc.details.get("field"),
                        "contact_id": exc.details.get("contact_id"),
                    }
                )
    return result
