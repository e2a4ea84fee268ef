"""Input and output serializers of the fraud guard's endpoints (the outputs are what the schema documents)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from otpservice.api.fields import StrictCharField, StrictFieldsMixin
from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import OptionalCharField, SuccessEnvelope, TimestampField
from otpservice.query import PageQuery

from .rules import Mode, Rule


class TestRecipientInputSerializer(StrictFieldsMixin, serializers.Serializer):
    __test__ = False
    recipient = StrictCharField(max_length=254, trim_whitespace=False, help_text="A phone in E.164 or an email.")
    code = StrictCharField(max_length=8, trim_whitespace=False, help_text="The fixed code: 4 to 8 digits.")


class ListEntryInputSerializer(StrictFieldsMixin, serializers.Serializer):
    value = StrictCharField(
        max_length=255, trim_whitespace=False,
        help_text="A number (+33612345678), a number prefix (+33), an email, or an @domain.",
    )


class DecisionFilterSerializer(PageQuery):
    rule = serializers.ChoiceField(choices=Rule.choices, required=False)
    mode = serializers.ChoiceField(choices=[Mode.BLOCK, Mode.RECORD], required=False)
    created_after = serializers.DateTimeField(required=False)


class ListFilterSerializer(PageQuery):
    pass


class TestRecipientSerializer(serializers.Serializer):
    """A test recipient; its code is never returned."""

    __test__ = False
    id = serializers.IntegerField(source="pk")
    recipient = serializers.CharField()
    kind = serializers.CharField(help_text="phone (sms and whatsapp) or email.")
    code_length = serializers.IntegerField()
    created_at = TimestampField()


class TestRecipientResponseSerializer(SuccessEnvelope):
    __test__ = False
    data = TestRecipientSerializer(source="*")


@extend_schema_serializer(many=False)
class TestRecipientListResponseSerializer(SuccessEnvelope):
    __test__ = False
    data = TestRecipientSerializer(many=True, source="*")


class ListEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    value = serializers.CharField()
    kind = serializers.CharField(source="value_kind", help_text="phone (a number or prefix), email or domain.")
    created_at = TimestampField()


class ListEntryResponseSerializer(SuccessEnvelope):
    data = ListEntrySerializer(source="*")


@extend_schema_serializer(many=False)
class ListEntryListResponseSerializer(SuccessEnvelope):
    data = ListEntrySerializer(many=True, source="items")
    pagination = PaginationSchema()


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    rule = serializers.ChoiceField(choices=Rule.choices)
    mode = serializers.ChoiceField(choices=[Mode.BLOCK, Mode.RECORD])
    channel = OptionalCharField()
    country = OptionalCharField()
    recipient_hash = OptionalCharField(help_text="HMAC-SHA256 of the canonical recipient under the service's pepper.")
    ip = serializers.IPAddressField(allow_null=True)
    detail = OptionalCharField()
    created_at = TimestampField()


@extend_schema_serializer(many=False)
class DecisionListResponseSerializer(SuccessEnvelope):
    data = DecisionSerializer(many=True, source="items")
    pagination = PaginationSchema()
