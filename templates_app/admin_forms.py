"""The admin template editor's form: which fields each key shows, and what it hands the services."""
from __future__ import annotations

import json

from django import forms

from accounts.models import Account
from accounts.validators import locale_canonical

from .defaults import builtin_locale_list
from .keys import TemplateKey
from .models import OTPTemplate
from .rendering import KEY_FIELDS
from .serializers import METADATA_MAX_BYTES

# The form's template fields, in the order the editor shows them.
TEMPLATE_FIELDS = (
    "from_name", "from_email", "subject", "html", "body", "sender", "content_sid", "content_variables", "registered",
)


def key_fields(key: str) -> list[str]:
    """The template fields a key uses, in editor order (body always)."""
    used = KEY_FIELDS[key] | {"body"}
    return [name for name in TEMPLATE_FIELDS if name in used]


def locale_choices(extra: str = "") -> list[tuple[str, str]]:
    """The built-in locales and "" (the account's template for any locale); `extra` keeps a saved
    locale that is not a built-in one selectable."""
    choices = [("", 'Any locale ("")')]
    choices += [(item["locale"], f"{item['locale']} — {item['name']}") for item in builtin_locale_list()]
    if extra and extra not in {value for value, _ in choices}:
        choices.append((extra, extra))
    return choices


def _json_object(value: str, *, name: str, strings: bool) -> dict:
    if not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise forms.ValidationError(f"{name}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(parsed, dict):
        raise forms.ValidationError(f"{name}: a JSON object, e.g. {{\"1\": \"otp\"}}")
    if strings and not all(isinstance(item, str) for item in parsed.values()):
        raise forms.ValidationError(f"{name}: every value is a variable name (a string)")
    return parsed


def _text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, strip=False, **kwargs)


def _area(rows: int, **kwargs) -> forms.CharField:
    return _text(widget=forms.Textarea(attrs={"rows": rows, "cols": 80, "spellcheck": "false"}), **kwargs)


class TemplateEditorForm(forms.Form):
    """Account, key and locale (fixed, as hidden inputs, when editing a saved template) and the
    template's fields. Only shape is checked here; the services check the template itself."""

    account = forms.ModelChoiceField(queryset=Account.objects.order_by("name"), required=False)
    key = forms.ChoiceField(choices=TemplateKey.choices)
    # The picker offers the built-in locales; any BCP 47 tag is accepted, as the API does.
    locale = forms.CharField(required=False, widget=forms.Select(choices=locale_choices()))
    from_name = _text(max_length=100)
    from_email = forms.EmailField(required=False, max_length=254)
    subject = _text(max_length=998, widget=forms.TextInput(attrs={"size": 80}))
    html = _area(12, max_length=60_000, label="HTML part")
    body = _area(6, max_length=20_000, label="Body", help_text="The SMS or WhatsApp text, or the email's text part.")
    sender = _text(max_length=20, help_text="Alphanumeric sender ID (1–11) or an E.164 number.")
    content_sid = _text(max_length=34, label="Content SID", help_text="Approved Twilio Content template (HX…).")
    content_variables = _area(2, label="Content variables", help_text='JSON, e.g. {"1": "otp"}.')
    registered = forms.BooleanField(required=False, help_text="Carrier-registered text (e.g. DLT): sent byte for byte.")
    is_active = forms.BooleanField(required=False, initial=True, label="Make this version active")
    preview_metadata = _area(2, label="Sample metadata", help_text='Preview and test only, not saved: JSON, e.g. {"first_name": "Ada"}.')

    def __init__(self, *args, fixed: OTPTemplate | None = None, readonly: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = fixed
        if fixed is not None:
            for name in ("account", "key", "locale"):
                self.fields[name].widget = forms.HiddenInput()
        if readonly:
            # readonly, not disabled: the values still go to the preview and the test send.
            for name in TEMPLATE_FIELDS:
                self.fields[name].widget.attrs["readonly"] = True
            for name in ("registered", "is_active"):
                self.fields[name].widget = forms.HiddenInput()

    def clean_locale(self) -> str:
        value = self.cleaned_data["locale"]
        canonical = locale_canonical(value) if value else ""
        if canonical is None:
            raise forms.ValidationError("Not a BCP 47 language tag such as en, fr, pt-BR or zh-Hant.")
        return canonical

    def clean_content_variables(self) -> dict:
        return _json_object(self.cleaned_data["content_variables"], name="content_variables", strings=True)

    def clean_preview_metadata(self) -> dict:
        metadata = _json_object(self.cleaned_data["preview_metadata"], name="sample metadata", strings=False)
        if len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
            raise forms.ValidationError(f"sample metadata: at most {METADATA_MAX_BYTES} bytes as JSON")
        return metadata

    def clean(self):
        cleaned = super().clean()
        if self.fixed is not None:  # a saved template's account, key and locale are never the browser's
            cleaned.update(account=self.fixed.account, key=self.fixed.key, locale=self.fixed.locale)
            for name in ("account", "key", "locale"):
                self._errors.pop(name, None)
        if "key" in cleaned:  # fields the key does not use go nowhere: nothing to check
            for name in set(TEMPLATE_FIELDS) - set(key_fields(cleaned["key"])):
                self._errors.pop(name, None)
        return cleaned

    def template_fields(self) -> dict:
        """The fields of the chosen key, for template_save and template_preview."""
        return {name: self.cleaned_data[name] for name in key_fields(self.cleaned_data["key"])}

    def problems(self) -> list[dict]:
        """Form errors as the editor shows them: [{field, line, message}]."""
        return [
            {"field": None if name == "__all__" else name, "line": None, "message": str(message)}
            for name, messages in self.errors.items() for message in messages
        ]


def initial_from(row: OTPTemplate) -> dict:
    values = {name: getattr(row, name) for name in TEMPLATE_FIELDS}
    values["content_variables"] = json.dumps(row.content_variables, ensure_ascii=False) if row.content_variables else ""
    return {**values, "account": row.account_id, "key": row.key, "locale": row.locale, "is_active": True}
