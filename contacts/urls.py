"""Routes of the contacts API; trailing slashes optional, fixed segments before ids."""
from django.urls import re_path

from otpservice.errors import NotFound, error_json_response

from .views import ContactPreferencesViewSet, ContactTagsViewSet, ContactViewSet

ID = r"(?P<contact_id>[^/]+)"
PREFERENCES = rf"^contacts/{ID}/preferences"


def device_token_unsupported(request, external_id: str):
    """The Node SDK's updateDeviceToken: push notifications are not a channel of this service."""
    return error_json_response(
        NotFound("Not found: push device tokens are not supported; contacts keep email, sms and whatsapp")
    )


urlpatterns = [
    re_path(r"^contacts/?$", ContactViewSet.as_view({"get": "list", "post": "create"}), name="contacts"),
    re_path(r"^contacts/bulk/?$", ContactViewSet.as_view({"post": "bulk"}), name="contacts-bulk"),
    re_path(r"^contacts/external/(?P<external_id>.+)/device-token/?$", device_token_unsupported),
    re_path(
        r"^contacts/external/(?P<external_id>.+?)/?$", ContactViewSet.as_view({"get": "external"}),
        name="contact-external",
    ),
    re_path(
        rf"^contacts/{ID}/?$",
        ContactViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="contact-detail",
    ),
    re_path(rf"^contacts/{ID}/unsubscribe/?$", ContactViewSet.as_view({"post": "unsubscribe"}), name="contact-unsubscribe"),
    re_path(rf"^contacts/{ID}/tags/?$", ContactTagsViewSet.as_view({"post": "add", "delete": "remove"}), name="contact-tags"),
    re_path(
        rf"{PREFERENCES}/?$",
        ContactPreferencesViewSet.as_view({"get": "summary", "patch": "update_many", "delete": "unsubscribe_all"}),
        name="contact-preferences",
    ),
    re_path(
        rf"{PREFERENCES}/subscribe-all/?$", ContactPreferencesViewSet.as_view({"post": "subscribe_all"}),
        name="contact-preferences-subscribe-all",
    ),
    re_path(
        rf"{PREFERENCES}/(?P<channel>[^/]+)/?$",
        ContactPreferencesViewSet.as_view(
            {"get": "channel", "patch": "channel_update", "delete": "channel_unsubscribe"}
        ),
        name="contact-preferences-channel",
    ),
    re_path(
        rf"{PREFERENCES}/(?P<channel>[^/]+)/(?P<category>[^/]+)/?$",
        ContactPreferencesViewSet.as_view({"patch": "single"}),
        name="contact-preferences-single",
    ),
]
