"""Reads for contacts, always scoped to one account."""
from django.core.exceptions import ValidationError

from accounts.models import Account
from otpservice.errors import NotFound

from .models import Contact


def contact_list(*, account: Account):
    return Contact.objects.filter(account=account).order_by("-created_at", "id")


def contact_get(*, account: Account, contact_id: str) -> Contact:
    try:
        return Contact.objects.get(account=account, pk=contact_id)
    except (Contact.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("Contact not found", code="contact_not_found") from exc
