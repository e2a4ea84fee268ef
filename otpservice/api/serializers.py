"""Output fields every app's response serializers share: the success flag, timestamps, optional text."""
from __future__ import annotations

from rest_framework import serializers

from .timestamps import iso


class SuccessField(serializers.BooleanField):
    """`success: true`, the first key of every 200 body (errors carry false: otpservice.errors)."""

    def get_attribute(self, instance) -> bool:
        return True


class TimestampField(serializers.DateTimeField):
    """ISO-8601 UTC with milliseconds and a Z (`2026-01-15T11:00:00.000Z`)."""

    def to_representation(self, value) -> str | None:
        return iso(value)


class OptionalCharField(serializers.CharField):
    """Text stored as "" when absent, and null in the API."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str | None:
        return str(value) if value else None


class SuccessEnvelope(serializers.Serializer):
    """The base of every 200 body: `success` first, then the subclass's fields in declaration order."""

    success = SuccessField()


# One bound instance per output serializer class and context, per process (see `rendered`).
_renderers: dict[tuple, serializers.BaseSerializer] = {}


def rendered(serializer_class: type[serializers.BaseSerializer], instance, **context) -> dict:
    """What `serializer_class(instance, context=context).data` is, from an instance kept per process.

    DRF deep-copies every declared field, nested serializers' included, each time a serializer is
    made: ~28 fields for a session, a third of a millisecond of the hottest read (docs/benchmarks.md).
    Rendering keeps no state on the serializer (`to_representation` reads `instance` and the fixed
    context only), so one bound instance serves every response. Context values must be hashable.
    Output only: input serializers hold validation state and are made per request.
    """
    key = (serializer_class, tuple(sorted(context.items())))
    serializer = _renderers.get(key)
    if serializer is None:
        serializer = _renderers[key] = serializer_class(context=context)
    return serializer.to_representation(instance)
