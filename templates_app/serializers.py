"""Input serializers (shape only) and the output serializers that render the templates API's responses."""
from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.validators import locale_canonical
from otpservice.api.fields import StrictBooleanField, StrictCharField, StrictFieldsMixin
from otpservice.api.serializers import SuccessEnvelope, TimestampField

from .keys import TemplateKey


class LocaleField(StrictCharField):
    """"" (any locale) or a BCP 47 tag, stored canonical: pt_br and PT-br are pt-BR."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, max_length=35, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "":
            return ""
        canonical = locale_canonical(value)
        if canonical is None:
            raise serializers.ValidationError("Not a BCP 47 language tag such as en, fr, pt-BR or zh-Hant.")
        return canonical


class TemplateFieldsSerializer(StrictFieldsMixin, serializers.Serializer):
    subject = StrictCharField(required=False, allow_blank=True, max_length=998, trim_whitespace=False)
    body = StrictCharField(max_length=20_000, trim_whitespace=False)
    html = StrictCharField(required=False, allow_blank=True, max_length=60_000, trim_whitespace=False)
    from_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    from_name = StrictCharField(required=False, allow_blank=True, max_length=100)
    sender = StrictCharField(required=False, allow_blank=True, max_length=20, trim_whitespace=False)
    content_sid = StrictCharField(required=False, allow_blank=True, max_length=34, trim_whitespace=False)
    content_variables = serializers.DictField(child=StrictCharField(max_length=100), required=False)
    registered = StrictBooleanField(required=False)
    is_active = StrictBooleanField(required=False)


class TemplateCreateSerializer(TemplateFieldsSerializer):
    key = serializers.ChoiceField(choices=TemplateKey.choices)
    locale = LocaleField(required=False, default="")


class TemplateUpdateSerializer(TemplateFieldsSerializer):
    # A template read with GET may be sent back: key and locale then must name the one in the URL.
    key = serializers.ChoiceField(choices=TemplateKey.choices, required=False)
    locale = LocaleField(required=False)


class TemplatePreviewSerializer(StrictFieldsMixin, serializers.Serializer):
    locale = LocaleField(required=False)
    metadata = serializers.DictField(required=False)
    template = TemplateFieldsSerializer(required=False, help_text="Unsaved fields to render; else the saved template.")


class LocaleQuery(serializers.Serializer):
    locale = LocaleField(required=False)


class TemplateSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=TemplateKey.choices)
    locale = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    html = serializers.CharField()
    from_email = serializers.CharField()
    from_name = serializers.CharField()
    sender = serializers.CharField()
    content_sid = serializers.CharField()
    content_variables = serializers.DictField(child=serializers.CharField())
    registered = serializers.BooleanField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = TimestampField()
    created_by = serializers.CharField()


class TemplateResponseSerializer(SuccessEnvelope):
    data = TemplateSerializer(source="*")


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class TemplateListResponseSerializer(SuccessEnvelope):
    data = TemplateSerializer(many=True, source="items")


class ServedSchema(serializers.Serializer):
    source = serializers.ChoiceField(choices=["custom", "default"])
    key = serializers.ChoiceField(choices=TemplateKey.choices)
    locale = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class PreviewSchema(serializers.Serializer):
    subject = serializers.CharField()
    body = serializers.CharField()
    html = serializers.CharField()
    length = serializers.IntegerField(help_text="GSM-7 septets or UTF-16 code units of body")
    encoding = serializers.ChoiceField(choices=["GSM-7", "UCS-2"])
    segments = serializers.IntegerField()
    template = ServedSchema()


class PreviewResponseSerializer(SuccessEnvelope):
    data = PreviewSchema(source="*")


class LocaleSchema(serializers.Serializer):
    locale = serializers.CharField()
    name = serializers.CharField()
    dir = serializers.ChoiceField(choices=["ltr", "rtl"])


@extend_schema_serializer(many=False)
class LocaleListResponseSerializer(SuccessEnvelope):
    data = LocaleSchema(many=True, source="items")


METADATA_MAX_BYTES = 4096


def metadata_check(value: dict) -> dict:
    """Sample metadata for a preview: a JSON object of at most 4 KB, like a session's."""
    if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise serializers.ValidationError({"metadata": [f"At most {METADATA_MAX_BYTES} bytes as JSON."]})
    return value
