"""Output serializers: they render every OTP response and are what the OpenAPI schema documents.

Each takes what a service or selector returned (a SendOutcome, VerifyOutcome, ResendOutcome, a
session, a page of sessions) and never a code hash. Bodies carry the flat fields and, for the
official Node SDK, the same values under `data`.
"""
from __future__ import annotations

from typing import Any

from django.db.models import Manager
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from otpservice.api.schemas import PaginationSchema
from otpservice.api.serializers import OptionalCharField, SuccessEnvelope, SuccessField, TimestampField

from ..lifecycle import session_status
from ..models import Channel, SessionStatus


def _codes_field() -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), source="sandbox_codes", required=False,
                                 help_text="Sandbox sessions only: the code of each channel.")


def _rows(value) -> list:
    """Channel rows in the order the request listed them; a session's own rows come prefetched."""
    if isinstance(value, Manager):
        return sorted(value.all(), key=lambda row: row.pk)
    return list(value)


class ChannelNamesField(serializers.ListField):
    """Channel rows as the list of their channel names."""

    child = serializers.ChoiceField(choices=Channel.choices)

    def to_representation(self, value) -> list[str]:
        return [row.channel for row in _rows(value)]


class ByChannelField(serializers.DictField):
    """Channel rows as {channel: child(row)} (or child(row.<attr>) with `attr`), in row order."""

    def __init__(self, *, attr: str | None = None, **kwargs) -> None:
        self.attr = attr
        super().__init__(**kwargs)

    def to_representation(self, value) -> dict[str, Any]:
        return {
            row.channel: self.child.to_representation(getattr(row, self.attr) if self.attr else row)
            for row in _rows(value)
        }


class WithCodesSerializer(serializers.Serializer):
    """Renders `code_field` only for a sandbox session, and never when the context says codes=False
    (the copy of a send stored for idempotent replays)."""

    code_field = ""

    def to_representation(self, instance) -> dict[str, Any]:
        body = super().to_representation(instance)
        if not instance.session.sandbox or not self.context.get("codes", True):
            body.pop(self.code_field, None)
        return body


class ChannelSentSerializer(serializers.Serializer):
    success = SuccessField()
    status = serializers.CharField(source="delivery_status")


# --- POST /otp/send -----------------------------------------------------------------------------


class SendDataSerializer(WithCodesSerializer):
    code_field = "otps"

    session_id = serializers.UUIDField(source="session.id")
    session_token = serializers.CharField(source="token")
    expires_at = TimestampField(source="session.expires_at")
    channels = ChannelNamesField(source="rows")
    recipients = ByChannelField(child=serializers.CharField(), attr="recipient", source="rows")
    otps = _codes_field()


class SendResponseSerializer(SuccessEnvelope, WithCodesSerializer):
    """The answer to a send; without codes, also what a repeat with its Idempotency-Key gets."""

    code_field = "sandbox_otps"

    session_id = serializers.UUIDField(source="session.id")
    session_token = serializers.CharField(source="token")
    token = serializers.CharField()
    status = serializers.CharField(source="session.status")
    expires_at = TimestampField(source="session.expires_at")
    channels = ChannelNamesField(source="rows")
    channels_sent = ByChannelField(child=ChannelSentSerializer(), source="rows")
    sandbox = serializers.BooleanField(source="session.sandbox")
    sandbox_otps = _codes_field()
    data = SendDataSerializer(source="*")


# --- POST /otp/verify ---------------------------------------------------------------------------


class ChannelResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class VerifyResultSerializer(serializers.Serializer):
    """The fields a verify answers both flat and under `data`."""

    verified = serializers.BooleanField(source="all_right", help_text="Every code in this request was right.")
    session_verified = serializers.SerializerMethodField()
    status = serializers.CharField(source="session.status")
    verification_results = serializers.DictField(child=ChannelResultSerializer(), source="results")
    verified_channels = serializers.SerializerMethodField()
    pending_channels = serializers.SerializerMethodField()
    attempts_remaining = serializers.SerializerMethodField()

    def get_session_verified(self, outcome) -> bool:
        return outcome.session.status == SessionStatus.VERIFIED

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices)))
    def get_verified_channels(self, outcome) -> list[str]:
        return [row.channel for row in outcome.rows if row.verified_at]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices)))
    def get_pending_channels(self, outcome) -> list[str]:
        return [row.channel for row in outcome.rows if not row.verified_at]

    def get_attempts_remaining(self, outcome) -> int:
        return outcome.session.max_attempts - outcome.session.failed_attempts


class VerifyDataSerializer(VerifyResultSerializer):
    session_id = serializers.UUIDField(source="session.id")


class VerifyResponseSerializer(SuccessEnvelope, VerifyResultSerializer):
    data = VerifyDataSerializer(source="*")


# --- POST /otp/resend ---------------------------------------------------------------------------


class ResendResponseSerializer(SendResponseSerializer):
    """The send response's shape, which the Node SDK types resend as, with a `message`; its
    channels, recipients and codes are those of the channels resent (not the verified ones)."""

    message = serializers.SerializerMethodField()

    def get_fields(self):
        fields = super().get_fields()
        # `message` right after `success`, as DESIGN §5 lists the fields.
        return {"success": fields.pop("success"), "message": fields.pop("message"), **fields}

    def get_message(self, outcome) -> str:
        return "OTP resent successfully"


# --- GET /otp/sessions, /otp/sessions/{id}, POST …/cancel ---------------------------------------


class ServedTemplateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["custom", "default"])
    key = serializers.CharField()
    locale = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class ChannelDetailSerializer(serializers.Serializer):
    recipient = serializers.CharField()
    verified = serializers.SerializerMethodField()
    verified_at = TimestampField(allow_null=True)
    delivery_status = serializers.CharField()
    provider_message_id = OptionalCharField()
    last_error = OptionalCharField()
    template = ServedTemplateSerializer(allow_null=True, help_text="Which template wrote the message; null until it is written (and in sandbox).")

    def get_verified(self, row) -> bool:
        return row.verified_at is not None


class SessionSerializer(serializers.Serializer):
    """A session as a reader sees it: never a code or a hash."""

    session_id = serializers.UUIDField(source="id")
    status = serializers.SerializerMethodField()
    channels = ChannelNamesField(source="channel_rows")
    verification_strategy = serializers.CharField()
    required_channels = serializers.SerializerMethodField()
    sandbox = serializers.BooleanField()
    metadata = serializers.DictField()
    max_attempts = serializers.IntegerField()
    attempts_remaining = serializers.SerializerMethodField()
    resend_count = serializers.IntegerField()
    created_at = TimestampField()
    expires_at = TimestampField()
    verified_at = TimestampField(allow_null=True)
    channel_details = ByChannelField(child=ChannelDetailSerializer(), source="channel_rows")

    @extend_schema_field(serializers.ChoiceField(choices=SessionStatus.choices))
    def get_status(self, session) -> str:
        return session_status(session, now=timezone.now())

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices)))
    def get_required_channels(self, session) -> list[str]:
        return session.required_channels or []

    def get_attempts_remaining(self, session) -> int:
        return session.max_attempts - session.failed_attempts


class SessionResponseSerializer(SuccessEnvelope):
    data = SessionSerializer(source="*")


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class SessionListResponseSerializer(SuccessEnvelope):
    """A page of sessions (an otpservice.api.pagination.Page), newest first."""

    data = SessionSerializer(many=True, source="items")
    pagination = PaginationSchema()
