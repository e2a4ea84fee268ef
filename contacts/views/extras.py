"""Contacts API, a contact's tags and preferences."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from otpservice.errors import InvalidRequest
from otpservice.query import query_values
from otpservice.text import printable

from .. import selectors, services
from ..preferences import CATEGORIES, CHANNELS, preferences_every, preferences_full, preferences_summary
from ..serializers.inputs import (
    ChannelPreferencesUpdateSerializer,
    EmptyBodySerializer,
    PreferencesUpdateSerializer,
    SubscribedSerializer,
    TagsSerializer,
)
from ..serializers.outputs import (
    ChannelPreferencesResponseSerializer,
    ContactResponseSerializer,
    PreferenceSummaryResponseSerializer,
)
from .common import CONTACT_ERRORS, CONTACT_ID, ContactsViewSet, body

CHANNEL = OpenApiParameter("channel", str, OpenApiParameter.PATH, enum=list(CHANNELS))
CATEGORY = OpenApiParameter("category", str, OpenApiParameter.PATH, enum=list(CATEGORIES))


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        problem = f"Not one of {', '.join(choices)}."
        raise InvalidRequest(f"{name}: {problem}", details={"field": name, "errors": {name: [problem]}, name: printable(value)})
    return value


def _contact(request: Request, contact) -> Response:
    return Response(ContactResponseSerializer(selectors.contact_get(account=request.user, contact_id=contact.pk)).data)


class ContactTagsViewSet(ContactsViewSet):
    @extend_schema(
        operation_id="contacts_tags_add", parameters=[CONTACT_ID], request=TagsSerializer,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def add(self, request: Request, contact_id: str) -> Response:
        tags = body(request, TagsSerializer)["tags"]
        return _contact(request, services.contact_tags_add(account=request.user, contact_id=contact_id, tags=tags))

    @extend_schema(
        operation_id="contacts_tags_remove", parameters=[CONTACT_ID], request=TagsSerializer,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def remove(self, request: Request, contact_id: str) -> Response:
        tags = body(request, TagsSerializer)["tags"]
        return _contact(request, services.contact_tags_remove(account=request.user, contact_id=contact_id, tags=tags))


class ContactPreferencesViewSet(ContactsViewSet):
    def _update(self, request: Request, contact_id: str, changes: dict, **extra) -> Response:
        contact = services.contact_preferences_update(
            account=request.user, contact_id=contact_id, changes=changes, **extra
        )
        return _contact(request, contact)

    @extend_schema(
        operation_id="contacts_preferences_retrieve", parameters=[CONTACT_ID],
        responses={200: PreferenceSummaryResponseSerializer, **CONTACT_ERRORS},
    )
    def summary(self, request: Request, contact_id: str) -> Response:
        query_values(request.query_params, ())
        contact = selectors.contact_get(account=request.user, contact_id=contact_id)
        return Response(PreferenceSummaryResponseSerializer(preferences_summary(contact.preferences)).data)

    @extend_schema(
        operation_id="contacts_preferences_update", parameters=[CONTACT_ID], request=PreferencesUpdateSerializer,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def update_many(self, request: Request, contact_id: str) -> Response:
        changes: dict[str, dict[str, bool]] = {}
        for item in body(request, PreferencesUpdateSerializer)["preferences"]:
            changes.setdefault(item["channel"], {})[item["category"]] = item["subscribed"]
        return self._update(request, contact_id, changes)

    @extend_schema(
        operation_id="contacts_preferences_unsubscribe_all", parameters=[CONTACT_ID],
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def unsubscribe_all(self, request: Request, contact_id: str) -> Response:
        body(request, EmptyBodySerializer)
        return self._update(request, contact_id, preferences_every(False))

    @extend_schema(
        operation_id="contacts_preferences_subscribe_all", parameters=[CONTACT_ID], request=None,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def subscribe_all(self, request: Request, contact_id: str) -> Response:
        body(request, EmptyBodySerializer)
        return self._update(request, contact_id, preferences_every(True), is_unsubscribed=False)

    @extend_schema(
        operation_id="contacts_preferences_channel_retrieve", parameters=[CONTACT_ID, CHANNEL],
        responses={200: ChannelPreferencesResponseSerializer, **CONTACT_ERRORS},
    )
    def channel(self, request: Request, contact_id: str, channel: str) -> Response:
        query_values(request.query_params, ())
        channel = _choice("channel", channel, CHANNELS)
        contact = selectors.contact_get(account=request.user, contact_id=contact_id)
        data = {"contact_id": contact.pk, "channel": channel, "preferences": preferences_full(contact.preferences)[channel]}
        return Response(ChannelPreferencesResponseSerializer(data).data)

    @extend_schema(
        operation_id="contacts_preferences_channel_update", parameters=[CONTACT_ID, CHANNEL],
        request=ChannelPreferencesUpdateSerializer, responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def channel_update(self, request: Request, contact_id: str, channel: str) -> Response:
        channel = _choice("channel", channel, CHANNELS)
        values = body(request, ChannelPreferencesUpdateSerializer)
        if "subscribed" in values:
            return self._update(request, contact_id, preferences_every(values["subscribed"], channels=(channel,)))
        return self._update(request, contact_id, {channel: values})

    @extend_schema(
        operation_id="contacts_preferences_channel_unsubscribe", parameters=[CONTACT_ID, CHANNEL],
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def channel_unsubscribe(self, request: Request, contact_id: str, channel: str) -> Response:
        channel = _choice("channel", channel, CHANNELS)
        body(request, EmptyBodySerializer)
        return self._update(request, contact_id, preferences_every(False, channels=(channel,)))

    @extend_schema(
        operation_id="contacts_preferences_single_update", parameters=[CONTACT_ID, CHANNEL, CATEGORY],
        request=SubscribedSerializer, responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def single(self, request: Request, contact_id: str, channel: str, category: str) -> Response:
        channel, category = _choice("channel", channel, CHANNELS), _choice("category", category, CATEGORIES)
        subscribed = body(request, SubscribedSerializer)["subscribed"]
        return self._update(request, contact_id, {channel: {category: subscribed}})
