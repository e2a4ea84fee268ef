"""Reads for contacts, always scoped to one account, with their tags prefetched."""
from __future__ import annotations

import uuid

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Account
from otpservice.api.pagination import Page, paginate
from otpservice.recipients import canonical_email

from .exceptions import ContactNotFound
from .models import Contact, ContactTag

# sort_by → column: email sorts by its canonical form (case-insensitive, served by the unique index).
SORT_COLUMNS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "email": "email_key",
    "first_name": "first_name",
    "last_name": "last_name",
}


def _contacts(account: Account) -> QuerySet:
    return Contact.objects.filter(account=account).prefetch_related(
        Prefetch("tag_rows", queryset=ContactTag.objects.order_by("pk"))
    )


def search_q(search: str) -> Q:
    """A case-insensitive substring of a name or the email (trigram indexes on PostgreSQL)."""
    return Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)


def contact_list(
    *,
    account: Account,
    email: str | None = None,
    phone: str | None = None,
    search: str | None = None,
    tags: list[str] | None = None,
    is_active: bool | None = None,
    is_unsubscribed: bool | None = None,
    external_id: str | None = None,
    sort_by: str = "created_at",
    sort_order: str = "DESC",
    page: int = 1,
    limit: int = 20,
) -> Page:
    """One page of the account's contacts matching every filter given; `tags`: any of them."""
    queryset = _contacts(account)
    if email:
        queryset = queryset.filter(email_key=canonical_email(email))
    if phone:
        queryset = queryset.filter(phone=phone)
    if external_id:
        queryset = queryset.filter(external_id=external_id)
    if search:
        queryset = queryset.filter(search_q(search))
    if tags:
        queryset = queryset.filter(Exists(ContactTag.objects.filter(contact=OuterRef("pk"), name__in=tags)))
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    if is_unsubscribed is not None:
        queryset = queryset.filter(is_unsubscribed=is_unsubscribed)
    return paginate(queryset.order_by(*contact_order(sort_by, sort_order)), page=page, limit=limit)


def contact_order(sort_by: str, sort_order: str) -> tuple:
    """The ORDER BY of a sort: the id breaks ties in the same direction, and a missing email sorts
    as the largest value (PostgreSQL's own order, so its indexes serve both directions)."""
    column, tie = F(SORT_COLUMNS[sort_by]), F("id")
    if sort_order == "ASC":
        return column.asc(nulls_last=True), tie.asc()
    return column.desc(nulls_first=True), tie.desc()


def contact_get(*, account: Account, contact_id: str) -> Contact:
    try:
        pk = uuid.UUID(str(contact_id))
    except ValueError as exc:
        raise ContactNotFound() from exc
    contact = _contacts(account).filter(pk=pk).first()
    if contact is None:
        raise ContactNotFound()
    return contact


def contact_get_by_external_id(*, account: Account, external_id: str) -> Contact:
    contact = _contacts(account).filter(external_id=external_id).first()
    if contact is None:
        raise ContactNotFound("Contact not found: no contact has this external_id", details={"external_id": external_id})
    return contact


def contact_many(*, account: Account, ids: list) -> list[Contact]:
    """The account's contacts with these ids, in that order."""
    found = {contact.pk: contact for contact in _contacts(account).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]
