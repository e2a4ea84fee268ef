"""Input serializers of the OTP endpoints: they validate shape only, and refuse unknown fields."""
import json
import re

from rest_framework import serializers

from otpservice.api.fields import StrictBooleanField, StrictCharField, StrictFieldsMixin, StrictIntegerField
from otpservice.query import PageQuery
from otpservice.validation import RecipientError, normalize_email, normalize_phone

from ..models import Channel, Delivery, SessionStatus, Strategy

METADATA_MAX_BYTES = 4096
CODE_MAX_LENGTH = 16
ANDROID_APP_HASH = re.compile(r"[A-Za-z0-9+/]{11}")


class ChannelListField(serializers.ListField):
    child = serializers.ChoiceField(choices=Channel.choices)

    def to_internal_value(self, data):
        channels = super().to_internal_value(data)
        if len(set(channels)) != len(channels):
            raise serializers.ValidationError("Duplicate channels.")
        return channels


class ConfigSerializer(StrictFieldsMixin, serializers.Serializer):
    otp_length = StrictIntegerField(min_value=4, max_value=8, default=6)
    expiry_minutes = StrictIntegerField(min_value=1, max_value=60, default=10)
    max_attempts = StrictIntegerField(min_value=1, max_value=10, default=3)
    verification_strategy = serializers.ChoiceField(choices=Strategy.choices, default=Strategy.ALL)
    required_channels = ChannelListField(required=False, allow_empty=False)
    # BCP 47 as the integrator has it ("fr", "pt-BR"): an unknown or unsupported tag is never an
    # error, the message falls back along the locale order (docs/templates.md).
    locale = StrictCharField(required=False, max_length=35, trim_whitespace=False)
    android_app_hash = StrictCharField(required=False, min_length=11, max_length=11, trim_whitespace=False)
    # "fallback": one channel at a time in the order given (otp.delivery.fallback, docs/api.md).
    delivery = serializers.ChoiceField(choices=Delivery.choices, default=Delivery.ALL)
    fallback_after_seconds = StrictIntegerField(min_value=5, max_value=300, required=False)

    def to_internal_value(self, data):
        self._given = set(data) if isinstance(data, dict) else set()
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["delivery"] != Delivery.FALLBACK:
            if "fallback_after_seconds" in attrs:
                raise serializers.ValidationError({"fallback_after_seconds": ["Only allowed with delivery 'fallback'."]})
            return attrs
        # Any channel that went out verifies a fallback session: its strategy is `any`, and asking
        # for another is refused rather than silently changed.
        if "verification_strategy" in self._given and attrs["verification_strategy"] != Strategy.ANY:
            raise serializers.ValidationError(
                {"verification_strategy": ["With delivery 'fallback' the strategy is 'any' (any channel that went out verifies)."]}
            )
        attrs["verification_strategy"] = Strategy.ANY
        attrs.setdefault("fallback_after_seconds", 30)
        return attrs

    def validate_android_app_hash(self, value):
        # The SMS Retriever hash: 11 characters of base64 (Android's AppSignatureHelper).
        if not ANDROID_APP_HASH.fullmatch(value):
            raise serializers.ValidationError("An Android app hash is 11 characters of A-Z, a-z, 0-9, + and /.")
        return value


class RecipientsSerializer(StrictFieldsMixin, serializers.Serializer):
    # allow_blank lets "" reach the normalizers, so an empty recipient is invalid_recipient too.
    email = StrictCharField(required=False, trim_whitespace=False, allow_blank=True)
    sms = StrictCharField(required=False, trim_whitespace=False, allow_blank=True)
    whatsapp = StrictCharField(required=False, trim_whitespace=False, allow_blank=True)

    def validate_email(self, value):
        return _recipient(normalize_email, value)

    def validate_sms(self, value):
        return _recipient(normalize_phone, value)

    def validate_whatsapp(self, value):
        return _recipient(normalize_phone, value)


def _recipient(normalize, value):
    try:
        return normalize(value)
    except RecipientError as exc:
        raise serializers.ValidationError(str(exc), code="invalid_recipient") from exc


class SendSerializer(StrictFieldsMixin, serializers.Serializer):
    channels = ChannelListField(allow_empty=False)
    recipients = RecipientsSerializer()
    config = ConfigSerializer(required=False)
    metadata = serializers.DictField(required=False, default=dict)
    add_contact = StrictBooleanField(required=False, default=False)
    sandbox_mode = StrictBooleanField(required=False, default=False)

    def validate_metadata(self, value):
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        if size > METADATA_MAX_BYTES:
            raise serializers.ValidationError(f"Metadata is {size} bytes serialized; the limit is 4096.")
        return value

    def validate(self, attrs):
        channels = attrs["channels"]
        recipients = attrs["recipients"]
        missing = [ch for ch in channels if ch not in recipients]
        if missing:
            raise serializers.ValidationError(
                {f"recipients.{ch}": ["This channel has no recipient."] for ch in missing}
            )
        extra = sorted(set(recipients) - set(channels))
        if extra:
            raise serializers.ValidationError(
                {f"recipients.{ch}": ["Recipient given for a channel not in channels."] for ch in extra}
            )
        config = attrs.get("config") or ConfigSerializer(data={}).run_validation({})
        required = config.get("required_channels")
        if config["verification_strategy"] == Strategy.SPECIFIC:
            if not required:
                raise serializers.ValidationError(
                    {"config.required_channels": ["Required with verification_strategy 'specific'."]}
                )
            if not set(required) <= set(channels):
                raise serializers.ValidationError(
                    {"config.required_channels": ["Must be a subset of channels."]}
                )
        elif required is not None:
            raise serializers.ValidationError(
                {"config.required_channels": ["Only allowed with verification_strategy 'specific'."]}
            )
        attrs["config"] = config
        return attrs


_HANDLE_HELP = "The session handle: the session_token (JWT) from send, or the session_id itself."


class TokenMixin(serializers.Serializer):
    session_token = StrictCharField(required=False, max_length=2048, help_text=_HANDLE_HELP)
    token = StrictCharField(required=False, max_length=2048, help_text=f"{_HANDLE_HELP} The same as session_token.")

    def validate(self, attrs):
        given = {attrs.get("session_token"), attrs.get("token")} - {None}
        if not given:
            raise serializers.ValidationError({"session_token": ["This field is required."]})
        if len(given) > 1:
            raise serializers.ValidationError({"token": ["session_token and token differ."]})
        attrs["session_token"] = given.pop()
        attrs.pop("token", None)
        return attrs


class OtpCodeField(StrictCharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value.isascii() or not value.isdigit() or len(value) > CODE_MAX_LENGTH:
            raise serializers.ValidationError("A code is a string of digits.")
        return value


class VerifySerializer(StrictFieldsMixin, TokenMixin):
    otps = serializers.DictField(child=OtpCodeField(), allow_empty=False)

    def validate_otps(self, value):
        unknown = sorted(set(value) - set(Channel.values))
        if unknown:
            raise serializers.ValidationError({key: ["Unknown channel."] for key in unknown})
        return value


class ResendSerializer(StrictFieldsMixin, TokenMixin):
    channels = ChannelListField(required=False, allow_empty=False)


class SessionFilterSerializer(PageQuery):
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    sandbox = serializers.BooleanField(required=False, allow_null=True, default=None)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
