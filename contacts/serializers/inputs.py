"""Input serializers of the contacts API (bodies and query strings): shape only, unknown keys refused."""
from __future__ import annotations

from rest_framework import serializers

from otpservice.api.fields import StrictBooleanField, StrictCharField, StrictFieldsMixin
from otpservice.query import PageQuery

from ..preferences import CATEGORIES, CHANNELS
from ..selectors import SORT_COLUMNS
from .fields import EmailAddressField, JSONObjectField, PhoneNumberField, TagField, TagListField

BULK_MAX = 1000


class ChannelPreferencesInput(StrictFieldsMixin, serializers.Serializer):
    """The Node SDK's `ChannelPreferences`: category → subscribed, any subset."""

    transactional = StrictBooleanField(required=False)
    promotional = StrictBooleanField(required=False)
    utility = StrictBooleanField(required=False)
    conversational = StrictBooleanField(required=False)
    marketing = StrictBooleanField(required=False)
    service = StrictBooleanField(required=False)
    system = StrictBooleanField(required=False)


class PreferencesInput(StrictFieldsMixin, serializers.Serializer):
    """The Node SDK's `ContactPreferences`: channel → its categories, any subset."""

    email = ChannelPreferencesInput(required=False)
    sms = ChannelPreferencesInput(required=False)
    whatsapp = ChannelPreferencesInput(required=False)
    push = ChannelPreferencesInput(required=False)


class ContactUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """The Node SDK's `UpdateContactRequest` (and is_unsubscribed); null clears a field."""

    external_id = StrictCharField(required=False, allow_null=True, min_length=1, max_length=255, trim_whitespace=False)
    email = EmailAddressField(required=False, allow_null=True)
    phone = PhoneNumberField(required=False, allow_null=True)
    first_name = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    last_name = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    tags = TagListField(required=False)
    is_active = StrictBooleanField(required=False)
    is_unsubscribed = StrictBooleanField(required=False)
    custom_fields = JSONObjectField(required=False)
    metadata = JSONObjectField(required=False)
    preferences = PreferencesInput(required=False)


class ContactCreateSerializer(ContactUpdateSerializer):
    """The Node SDK's `CreateContactRequest`; an email or a phone is required (the SDK asks email)."""

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError({"email": ["A contact needs an email or a phone."]})
        return attrs


class BulkCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """`{contacts: [...]}`: each entry is checked on its own (a bad one is reported, not fatal)."""

    contacts = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=BULK_MAX,
        help_text="CreateContactRequest objects; each is validated like POST /contacts",
    )


class TagsSerializer(StrictFieldsMixin, serializers.Serializer):
    tags = TagListField(allow_empty=False)


class EmptyBodySerializer(StrictFieldsMixin, serializers.Serializer):
    """No body, or `{}` (the Node SDK posts none)."""


class PreferenceItemInput(StrictFieldsMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    category = serializers.ChoiceField(choices=CATEGORIES)
    subscribed = StrictBooleanField()


class PreferencesUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """The Node SDK's `SetPreferencesRequest`."""

    preferences = serializers.ListField(child=PreferenceItemInput(), allow_empty=False, max_length=100)


class SubscribedSerializer(StrictFieldsMixin, serializers.Serializer):
    """The Node SDK's `SetSinglePreferenceRequest`."""

    subscribed = StrictBooleanField()


class ChannelPreferencesUpdateSerializer(ChannelPreferencesInput):
    """One channel: `{subscribed}` for every category, or category → subscribed for some."""

    subscribed = StrictBooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give subscribed, or categories with true or false.")
        if "subscribed" in attrs and len(attrs) > 1:
            raise serializers.ValidationError({"subscribed": ["Give subscribed alone, or categories without it."]})
        return attrs


class SortOrderField(serializers.ChoiceField):
    """ASC or DESC, in any case."""

    def __init__(self, **kwargs):
        super().__init__(choices=["ASC", "DESC"], **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


class ContactListQuery(PageQuery):
    """The list's query string: the Node SDK's `ListContactsRequest`, and phone and external_id."""

    email = serializers.CharField(required=False, max_length=254)
    phone = PhoneNumberField(required=False)
    search = serializers.CharField(required=False, max_length=100)
    tags = serializers.CharField(required=False, max_length=2000, help_text="Comma-separated: contacts with any of them")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_unsubscribed = serializers.BooleanField(required=False, allow_null=True, default=None)
    external_id = serializers.CharField(required=False, max_length=255, trim_whitespace=False)
    sort_by = serializers.ChoiceField(choices=list(SORT_COLUMNS), default="created_at")
    sort_order = SortOrderField(default="DESC")

    def validate_tags(self, value):
        names = [name.strip() for name in value.split(",") if name.strip()]
        tag = TagField()
        for name in names:
            tag.run_validation(name)
        return list(dict.fromkeys(names))


class DeleteQuery(serializers.Serializer):
    hard = serializers.BooleanField(required=False, default=False)
