"""Views of the contacts API: the resource (resource.py), a contact's tags and preferences (extras.py)."""
from .extras import ContactPreferencesViewSet, ContactTagsViewSet
from .resource import ContactViewSet

__all__ = ["ContactPreferencesViewSet", "ContactTagsViewSet", "ContactViewSet"]
