"""Output serializers of the contacts API: they render its responses and are what the schema documents."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import OptionalCharField, SuccessEnvelope, TimestampField

from ..models import Contact
from ..preferences import preferences_full

# OTP channel → the contact's stamp of a code verified on it.
VERIFIED_STAMPS = {"email": "email_verified_at", "sms": "phone_verified_at", "whatsapp": "whatsapp_verified_at"}


class ChannelPreferencesSchema(serializers.Serializer):
    transactional = serializers.BooleanField()
    promotional = serializers.BooleanField()
    utility = serializers.BooleanField()
    conversational = serializers.BooleanField()
    marketing = serializers.BooleanField()
    service = serializers.BooleanField()
    system = serializers.BooleanField()


class PreferencesSchema(serializers.Serializer):
    email = ChannelPreferencesSchema()
    sms = ChannelPreferencesSchema()
    whatsapp = ChannelPreferencesSchema()
    push = ChannelPreferencesSchema()


class ContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    first_name = OptionalCharField()
    last_name = OptionalCharField()
    tags = serializers.ListField(child=serializers.CharField(), source="tag_names")
    custom_fields = serializers.DictField()
    metadata = serializers.DictField()
    preferences = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()
    is_unsubscribed = serializers.BooleanField()
    email_verified = serializers.SerializerMethodField()
    email_verified_at = TimestampField(allow_null=True)
    phone_verified = serializers.SerializerMethodField()
    phone_verified_at = TimestampField(allow_null=True)
    whatsapp_verified = serializers.SerializerMethodField()
    whatsapp_verified_at = TimestampField(allow_null=True)
    # Beyond Sendmator's fields: the OTP channels verified (sms is phone_verified_at).
    verified_channels = serializers.SerializerMethodField()
    created_at = TimestampField()
    updated_at = TimestampField()

    @extend_schema_field(PreferencesSchema)
    def get_preferences(self, contact: Contact) -> dict:
        return preferences_full(contact.preferences)

    def get_email_verified(self, contact: Contact) -> bool:
        return contact.email_verified_at is not None

    def get_phone_verified(self, contact: Contact) -> bool:
        return contact.phone_verified_at is not None

    def get_whatsapp_verified(self, contact: Contact) -> bool:
        return contact.whatsapp_verified_at is not None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(VERIFIED_STAMPS))))
    def get_verified_channels(self, contact: Contact) -> list[str]:
        return [channel for channel, stamp in VERIFIED_STAMPS.items() if getattr(contact, stamp)]


class ContactResponseSerializer(SuccessEnvelope):
    data = ContactSerializer(source="*")


class ContactDeleteResponseSerializer(SuccessEnvelope):
    message = serializers.CharField()
    data = ContactSerializer(allow_null=True, help_text="The contact, now inactive; null after a hard delete")


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class ContactListResponseSerializer(SuccessEnvelope):
    data = ContactSerializer(many=True, source="items")
    pagination = PaginationSchema()


class BulkSkippedSchema(serializers.Serializer):
    index = serializers.IntegerField()
    email = serializers.CharField(allow_null=True)
    external_id = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    contact_id = serializers.UUIDField(allow_null=True)


class BulkErrorSchema(serializers.Serializer):
    index = serializers.IntegerField()
    email = serializers.CharField(allow_null=True)
    error = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class BulkSummarySchema(serializers.Serializer):
    created_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField()
    error_count = serializers.IntegerField()


class BulkResultSerializer(serializers.Serializer):
    """The Node SDK's `BulkCreateResult` (user_id is the account's id)."""

    created = ContactSerializer(many=True)
    skipped = BulkSkippedSchema(many=True)
    errors = BulkErrorSchema(many=True)
    user_id = serializers.UUIDField()
    total_processed = serializers.IntegerField()
    summary = BulkSummarySchema()


class BulkResponseSerializer(SuccessEnvelope):
    # Flat, as the Node SDK reads it, and the same under `data`.
    created = ContactSerializer(many=True)
    skipped = BulkSkippedSchema(many=True)
    errors = BulkErrorSchema(many=True)
    user_id = serializers.UUIDField()
    total_processed = serializers.IntegerField()
    summary = BulkSummarySchema()
    data = BulkResultSerializer(source="*")


class PreferenceSummarySerializer(serializers.Serializer):
    """The Node SDK's `PreferenceSummary`; subscriptionRate is a percentage (0–100)."""

    preferences = PreferencesSchema()
    totalPreferences = serializers.IntegerField()  # noqa: N815 (the Node SDK's spelling)
    subscribedCount = serializers.IntegerField()  # noqa: N815
    unsubscribedCount = serializers.IntegerField()  # noqa: N815
    subscriptionRate = serializers.FloatField()  # noqa: N815


class PreferenceSummaryResponseSerializer(SuccessEnvelope):
    preferences = PreferencesSchema()
    totalPreferences = serializers.IntegerField()  # noqa: N815
    subscribedCount = serializers.IntegerField()  # noqa: N815
    unsubscribedCount = serializers.IntegerField()  # noqa: N815
    subscriptionRate = serializers.FloatField()  # noqa: N815
    data = PreferenceSummarySerializer(source="*")


class ChannelPreferencesSerializer(serializers.Serializer):
    contact_id = serializers.UUIDField()
    channel = serializers.CharField()
    preferences = ChannelPreferencesSchema()


class ChannelPreferencesResponseSerializer(SuccessEnvelope):
    contact_id = serializers.UUIDField()
    channel = serializers.CharField()
    preferences = ChannelPreferencesSchema()
    data = ChannelPreferencesSerializer(source="*")
