"""Input serializers (shape only, unknown keys refused) and the output serializers of the webhooks API."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from otpservice.api.fields import StrictBooleanField, StrictCharField, StrictFieldsMixin
from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import OptionalCharField, SuccessEnvelope, TimestampField
from otpservice.query import PageQuery

from .models import DeliveryStatus
from .target import URL_MAX_LENGTH
from .types import EventType


class EventTypeListField(serializers.ListField):
    """A non-empty list of the event types of DESIGN.md §9, each once."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=EventType.choices), min_length=1,
                         max_length=len(EventType.values), **kwargs)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if len(set(values)) != len(values):
            raise serializers.ValidationError("Each event type at most once.")
        return values


def _url_field(**kwargs) -> StrictCharField:
    return StrictCharField(
        max_length=URL_MAX_LENGTH, trim_whitespace=False,
        help_text="https URL the events are POSTed to (http and private addresses only with OTP_WEBHOOKS_ALLOW_PRIVATE)",
        **kwargs,
    )


class WebhookCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    url = _url_field()
    events = EventTypeListField()
    description = StrictCharField(required=False, allow_blank=True, max_length=500, default="")


class WebhookUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    url = _url_field(required=False)
    events = EventTypeListField(required=False)
    description = StrictCharField(required=False, allow_blank=True, max_length=500)
    is_active = StrictBooleanField(required=False)


class DeliveryListQuery(PageQuery):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
    event_type = serializers.ChoiceField(choices=EventType.choices, required=False)


class WebhookSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    secret_rotated_at = TimestampField(allow_null=True)
    created_at = TimestampField()
    updated_at = TimestampField()


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="whsec_…: shown only in this answer; store it to verify signatures")


class WebhookResponseSerializer(SuccessEnvelope):
    data = WebhookSerializer(source="*")


class WebhookSecretResponseSerializer(SuccessEnvelope):
    data = WebhookWithSecretSerializer(source="*")


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class WebhookListResponseSerializer(SuccessEnvelope):
    data = WebhookSerializer(many=True, source="items")


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.CharField(source="event.public_id", help_text="evt_…, the webhook-id header")
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    response_code = serializers.IntegerField(source="last_response_code", allow_null=True)
    last_error = OptionalCharField()
    next_retry_at = TimestampField(source="next_attempt_at", allow_null=True)
    last_attempt_at = TimestampField(allow_null=True)
    created_at = TimestampField()
    updated_at = TimestampField()


class DeliveryResponseSerializer(SuccessEnvelope):
    data = DeliverySerializer(source="*")


@extend_schema_serializer(many=False)
class DeliveryListResponseSerializer(SuccessEnvelope):
    data = DeliverySerializer(many=True, source="items")
    pagination = PaginationSchema()
