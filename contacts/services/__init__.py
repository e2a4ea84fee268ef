"""Writes for contacts: from verified sessions (verified.py), the API's (manage.py, bulk.py)."""
from .bulk import BulkResult, contact_bulk_create
from .manage import (
    contact_create,
    contact_delete,
    contact_preferences_update,
    contact_tags_add,
    contact_tags_remove,
    contact_unsubscribe,
    contact_update,
)
from .verified import contact_record_verified

__all__ = [
    "BulkResult",
    "contact_bulk_create",
    "contact_create",
    "contact_delete",
    "contact_preferences_update",
    "contact_record_verified",
    "contact_tags_add",
    "contact_tags_remove",
    "contact_unsubscribe",
    "contact_update",
]
