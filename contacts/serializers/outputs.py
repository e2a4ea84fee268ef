"""Output serializers of the contacts API: they render its responses and are what the schema documents."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import SuccessEnvelope, TimestampField

from .models import Contact

VERIFIED_STAMPS = ("email", "sms", "whatsapp")


class ContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    verified_channels = serializers.SerializerMethodField()
    email_verified_at = TimestampField(allow_null=True)
    sms_verified_at = TimestampField(allow_null=True)
    whatsapp_verified_at = TimestampField(allow_null=True)
    created_at = TimestampField()
    updated_at = TimestampField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_verified_channels(self, contact: Contact) -> list[str]:
        return [channel for channel in VERIFIED_STAMPS if getattr(contact, f"{channel}_verified_at")]


class ContactResponseSerializer(SuccessEnvelope):
    data = ContactSerializer(source="*")


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class ContactListResponseSerializer(SuccessEnvelope):
    data = ContactSerializer(many=True, source="items")
    pagination = PaginationSchema()
