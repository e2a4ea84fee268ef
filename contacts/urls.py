"""Routes of the contacts API."""
from django.urls import re_path

from .views import ContactViewSet

urlpatterns = [
    re_path(r"^contacts/?$", ContactViewSet.as_view({"get": "list"}), name="contacts"),
    re_path(r"^contacts/(?P<contact_id>[^/]+)/?$", ContactViewSet.as_view({"get": "retrieve"}), name="contact-detail"),
]
