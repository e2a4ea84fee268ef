"""Strict input fields of the contacts API: JSON types as given, never coerced."""
from __future__ import annotations

import json

from rest_framework import serializers

from otpservice.api.fields import StrictCharField
from otpservice.validation import RecipientError, normalize_email, normalize_phone

JSON_OBJECT_MAX_BYTES = 4096
TAG_MAX_LENGTH = 64


class EmailAddressField(StrictCharField):
    """An email address as a session takes it: valid, stored with a lower-cased domain."""

    def __init__(self, **kwargs):
        super().__init__(max_length=254, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        try:
            return normalize_email(super().to_internal_value(data))
        except RecipientError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class PhoneNumberField(StrictCharField):
    """A real phone number in E.164."""

    def __init__(self, **kwargs):
        super().__init__(max_length=16, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        try:
            return normalize_phone(super().to_internal_value(data))
        except RecipientError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class TagField(StrictCharField):
    """A tag: 1–64 characters, no comma (the list's `tags` filter is comma-separated)."""

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=TAG_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "," in value:
            raise serializers.ValidationError("A tag may not contain a comma.")
        return value


class TagListField(serializers.ListField):
    """Tags, duplicates dropped, in the order given."""

    child = TagField()

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class JSONObjectField(serializers.DictField):
    """A JSON object of any values, at most 4 KB serialized."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        if size > JSON_OBJECT_MAX_BYTES:
            raise serializers.ValidationError(f"{size} bytes serialized; the limit is {JSON_OBJECT_MAX_BYTES}.")
        return value
