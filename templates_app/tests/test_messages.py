"""What delivery gets: the account's template for the locale, else the locale-less one, else the
built-in default in that locale, else English; a failing custom template falls back, logged without the code."""
import logging

import pytest

from accounts.services import account_create
from templates_app.messages import template_message_render
from templates_app.models import OTPTemplate
from templates_app.services import template_deactivate, template_save

pytestmark = pytest.mark.django_db
CODE = "48151623"


@pytest.fixture
def account():
    return account_create(name="Acme").account


def save(account, key, locale="", **fields):
    return template_save(account=account, key=key, locale=locale, fields=fields, created_by="test")


def render(account, channel, **kwargs):
    kwargs = {"code": CODE, "expiry_minutes": 10, "app_name": "Acme", **kwargs}
    return template_message_render(account_id=account.pk, channel=channel, **kwargs)


def test_without_templates_the_english_default_serves(account):
    message = render(account, "email", recipient="ada@example.com")
    assert message.served == {"source": "default", "key": "otp_email", "locale": "en", "version": None}
    assert "Your Acme verification code" in message.subject and CODE in message.body and CODE in message.html


def test_the_requested_locale_picks_the_builtin(account):
    message = render(account, "sms", locale="fr-CA", recipient="+14155550100")
    assert message.served["locale"] == "fr"
    assert message.body == f"{CODE} est votre code Acme. Valable 10 min."


def test_the_number_country_picks_the_language_for_sms_but_not_email(account):
    assert render(account, "sms", recipient="+4915123456789").served["locale"] == "de"
    assert render(account, "whatsapp", recipient="+4915123456789").served["locale"] == "de"
    assert render(account, "email", recipient="ada@example.de").served["locale"] == "en"


def test_the_account_default_locale_comes_after_the_country(account):
    account.default_locale = "it"
    account.save()
    assert render(account, "sms", recipient="+14155550100").served["locale"] == "en"  # US: English
    assert render(account, "sms", recipient="+999123").served["locale"] == "it"
    assert render(account, "email").served["locale"] == "it"


def test_custom_for_the_locale_then_locale_less_custom_then_builtin(account):
    save(account, "otp_sms", "", body="ANY {{ otp }} {{ locale }}")
    save(account, "otp_sms", "es", body="ES {{ otp }}")
    assert render(account, "sms", locale="es-MX").body == f"ES {CODE}"
    # French has a built-in, but the account's template for any locale comes first.
    assert render(account, "sms", locale="fr").body == f"ANY {CODE} fr"
    assert render(account, "sms", locale="fr").served == {"source": "custom", "key": "otp_sms", "locale": "", "version": 1}


def test_a_builtin_for_the_requested_locale_beats_a_custom_one_for_a_later_candidate(account):
    account.default_locale = "de"
    account.save()
    save(account, "otp_sms", "de", body="DE {{ otp }}")
    assert render(account, "sms", locale="fr").served["source"] == "default"
    assert render(account, "sms", locale="xx").body == f"DE {CODE}"


def test_deactivating_brings_the_default_back(account):
    save(account, "otp_email", "", subject="Hi {{ app_name }}", body="Code {{ otp }}", html="<b>{{ otp }}</b>")
    assert render(account, "email").subject == "Hi Acme"
    template_deactivate(account=account, key="otp_email", locale="")
    assert render(account, "email").served["source"] == "default"


def test_custom_fields_reach_the_message(account):
    save(account, "otp_email", "", subject="Code for {{ metadata.user }}", body="{{ otp }}", html="<i>{{ otp }}</i>",
         from_email="noreply@acme.test", from_name="Acme Security")
    message = render(account, "email", metadata={"user": "<Ada>"})
    assert (message.subject, message.html, message.from_email, message.from_name) == (
        "Code for <Ada>", f"<i>{CODE}</i>", "noreply@acme.test", "Acme Security",
    )
    save(account, "otp_sms", "", body="{{ otp }}", sender="ACME")
    assert render(account, "sms").sender == "ACME"


def test_whatsapp_content_binding_maps_numbered_variables(account):
    save(account, "otp_whatsapp", "", body="{{ otp }}", content_sid="HX" + "0" * 32,
         content_variables={"1": "otp", "2": "expiry_minutes", "3": "metadata.name"})
    message = render(account, "whatsapp", metadata={"name": "Ada"})
    assert message.content_sid == "HX" + "0" * 32
    assert message.content_variables == {"1": CODE, "2": "10", "3": "Ada"}


def test_sms_defaults_carry_the_autofill_lines_and_the_send_hash_overrides_the_account(account):
    account.webotp_domain = "example.com"
    account.android_app_hash = "AAAAAAAAAAA"
    account.save()
    assert render(account, "sms").body.endswith(f"\n\nAAAAAAAAAAA\n@example.com #{CODE}")
    assert render(account, "sms", android_app_hash="FA+9qCX9VSu").body.endswith(f"FA+9qCX9VSu\n@example.com #{CODE}")
    assert "@example.com" not in render(account, "whatsapp").body


def test_registered_text_is_sent_byte_for_byte(account):
    text = "Dear user, {{ otp }} is your OTP for login at ACME. -ACME  {#var#}"
    account.webotp_domain = "example.com"
    account.save()
    save(account, "otp_sms", "", body=text, registered=True)
    assert render(account, "sms").body == text.replace("{{ otp }}", CODE)


def test_a_custom_template_failing_at_send_time_falls_back_to_the_default_and_logs_no_code(account, caplog):
    row = save(account, "otp_sms", "", body="{{ otp }}")
    # A row that no longer passes (saved before a rule tightened, or edited in the database).
    OTPTemplate.objects.filter(pk=row.pk).update(body="{% load static %}{{ otp }}")
    with caplog.at_level(logging.WARNING, logger="templates_app"):
        message = render(account, "sms")
    assert message.served["source"] == "default" and CODE in message.body
    assert "failed" in caplog.text and CODE not in caplog.text


def test_a_template_whose_output_loses_the_code_falls_back(account):
    save(account, "otp_sms", "", body="{% if metadata.show %}{{ otp }}{% endif %}hello")
    assert render(account, "sms", metadata={"show": "yes"}).body == f"{CODE}hello"
    assert render(account, "sms").served["source"] == "default"


def test_the_message_repr_never_shows_the_code(account):
    assert CODE not in repr(render(account, "whatsapp"))


def test_a_loaded_account_saves_its_query(account, django_assert_num_queries):
    account.default_locale = "fr"
    with django_assert_num_queries(1):  # the templates only
        message = template_message_render(account_id=account.pk, account=account, channel="sms", code=CODE,
                                          expiry_minutes=5, app_name="Acme")
    assert message.served["locale"] == "fr"
