"""OpenAPI shapes of responses and errors (documentation only; views build plain dicts)."""
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from otpservice.api.schemas import PaginationSchema

from .models import Channel

CHANNELS = Channel.choices

# Request examples: the docs show them, and schemathesis sends them as its first, valid, cases.
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzaWQiOiIuLi4ifQ.c2lnbmF0dXJl"  # noqa: S105 (a placeholder)
SEND_EXAMPLES = [
    OpenApiExample(
        "Email and SMS, both to be verified",
        value={
            "channels": ["email", "sms"],
            "recipients": {"email": "ada@example.com", "sms": "+14155552671"},
            "config": {"otp_length": 6, "expiry_minutes": 10, "max_attempts": 3, "verification_strategy": "all"},
            "metadata": {"user_id": "42"},
        },
        request_only=True,
    ),
    OpenApiExample(
        "WhatsApp in sandbox mode",
        value={"channels": ["whatsapp"], "recipients": {"whatsapp": "+447911123456"}, "sandbox_mode": True},
        request_only=True,
    ),
]
VERIFY_EXAMPLES = [
    OpenApiExample(
        "Codes for two channels", value={"session_token": _TOKEN, "otps": {"email": "123456", "sms": "654321"}},
        request_only=True,
    ),
]
RESEND_EXAMPLES = [
    OpenApiExample("Only SMS", value={"session_token": _TOKEN, "channels": ["sms"]}, request_only=True),
]


class ChannelSentSchema(serializers.Serializer):
    success = serializers.BooleanField()
    status = serializers.CharField()


class SendDataSchema(serializers.Serializer):
    session_id = serializers.UUIDField()
    session_token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    channels = serializers.ListField(child=serializers.ChoiceField(CHANNELS))
    recipients = serializers.DictField(child=serializers.CharField())
    otps = serializers.DictField(child=serializers.CharField(), required=False)


class SendResponseSchema(serializers.Serializer):
    success = serializers.BooleanField()
    session_id = serializers.UUIDField()
    session_token = serializers.CharField()
    token = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    channels = serializers.ListField(child=serializers.ChoiceField(CHANNELS))
    channels_sent = serializers.DictField(child=ChannelSentSchema())
    sandbox = serializers.BooleanField()
    sandbox_otps = serializers.DictField(child=serializers.CharField(), required=False)
    data = SendDataSchema()


class ChannelResultSchema(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class VerifyDataSchema(serializers.Serializer):
    session_id = serializers.UUIDField()
    verified = serializers.BooleanField()
    session_verified = serializers.BooleanField()
    status = serializers.CharField()
    verification_results = serializers.DictField(child=ChannelResultSchema())
    verified_channels = serializers.ListField(child=serializers.CharField())
    pending_channels = serializers.ListField(child=serializers.CharField())
    attempts_remaining = serializers.IntegerField()


class VerifyResponseSchema(VerifyDataSchema):
    success = serializers.BooleanField()
    session_id = None
    data = VerifyDataSchema()


class ResendDataSchema(serializers.Serializer):
    session_id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()
    channels_sent = serializers.DictField(child=ChannelSentSchema())
    otps = serializers.DictField(child=serializers.CharField(), required=False)


class ResendResponseSchema(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    session_id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()
    channels_sent = serializers.DictField(child=ChannelSentSchema())
    sandbox_otps = serializers.DictField(child=serializers.CharField(), required=False)
    data = ResendDataSchema()


class ChannelDetailSchema(serializers.Serializer):
    recipient = serializers.CharField()
    verified = serializers.BooleanField()
    verified_at = serializers.DateTimeField(allow_null=True)
    delivery_status = serializers.CharField()
    provider_message_id = serializers.CharField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)


class SessionSchema(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    verification_strategy = serializers.CharField()
    required_channels = serializers.ListField(child=serializers.CharField())
    sandbox = serializers.BooleanField()
    metadata = serializers.DictField()
    max_attempts = serializers.IntegerField()
    attempts_remaining = serializers.IntegerField()
    resend_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)
    channel_details = serializers.DictField(child=ChannelDetailSchema())


class SessionResponseSchema(serializers.Serializer):
    success = serializers.BooleanField()
    data = SessionSchema()


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class SessionListResponseSchema(serializers.Serializer):
    success = serializers.BooleanField()
    data = SessionSchema(many=True)
    pagination = PaginationSchema()
