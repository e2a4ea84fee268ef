"""Built-in defaults: at least 30 locales, each renders, each SMS fits one segment; autofill lines."""
import pytest

from templates_app.defaults import BUILTIN_LOCALES, TEXTS, builtin_texts
from templates_app.rendering import builtin_source, source_render, template_values
from templates_app.sandbox import template_check
from templates_app.segments import sms_length

# The worst case DESIGN.md promises one segment for: a 20-character app name (GSM-7 or not), an
# 8-digit code, and the longest expiry (60 minutes) or the one with the longest words (1 or 2).
APP_NAMES = ("Acme Online Banking!", "Ünïcødé Bänk Ωμέγα 😀"[:20])
CODE = "12345678"
EXPIRIES = (1, 2, 10, 60)


def sms(locale, *, app_name, expiry, domain="", app_hash=""):
    values = template_values(code=CODE, expiry_minutes=expiry, app_name=app_name, channel="sms", locale=locale,
                             metadata={}, webotp_domain=domain, android_app_hash=app_hash)
    return source_render(builtin_source(key="otp_sms", locale=locale), values).body


def test_at_least_thirty_locales_with_a_name_each():
    assert len(BUILTIN_LOCALES) >= 30
    assert all(TEXTS[locale]["name"] for locale in BUILTIN_LOCALES)
    assert {"en", "es", "fr", "de", "pt-BR", "ar", "hi", "zh", "zh-Hant", "ja"} <= set(BUILTIN_LOCALES)


@pytest.mark.parametrize("locale", BUILTIN_LOCALES)
def test_every_builtin_template_passes_the_checks_custom_ones_must_pass(locale):
    for part, source in builtin_texts(locale).items():
        template_check(source, require_otp=part != "subject")


@pytest.mark.parametrize("locale", BUILTIN_LOCALES)
def test_every_locale_sms_is_one_segment_with_a_20_character_app_name_and_an_8_digit_code(locale):
    for app_name in APP_NAMES:
        assert len(app_name) == 20
        for expiry in EXPIRIES:
            text = sms(locale, app_name=app_name, expiry=expiry)
            assert CODE in text and app_name in text
            assert sms_length(text).segments == 1, (locale, text, sms_length(text))


@pytest.mark.parametrize("locale", BUILTIN_LOCALES)
def test_autofill_lines_take_at_most_one_more_segment(locale):
    # Documented: the origin-bound line and the Android hash come after the one-segment text and
    # may make it two segments (domains up to 30 characters), never more.
    domain = "login.verify-acme-example.com"[:30]
    text = sms(locale, app_name=APP_NAMES[1], expiry=60, domain=domain, app_hash="FA+9qCX9VSu")
    assert text.endswith(f"\n\nFA+9qCX9VSu\n@{domain} #{CODE}")
    assert sms_length(text).segments <= 2


def test_english_with_autofill_stays_one_segment_for_a_gsm7_app_name():
    text = sms("en", app_name=APP_NAMES[0], expiry=10, domain="example.com", app_hash="FA+9qCX9VSu")
    assert text == (
        "12345678 is your Acme Online Banking! code. Expires in 10 min.\n\nFA+9qCX9VSu\n@example.com #12345678"
    )
    assert sms_length(text).segments == 1


def test_the_origin_bound_line_is_the_last_line_and_only_when_a_domain_is_set():
    assert sms("fr", app_name="Acme", expiry=5).endswith("Valable 5 min.")
    assert sms("fr", app_name="Acme", expiry=5, domain="example.com").splitlines()[-1] == f"@example.com #{CODE}"


@pytest.mark.parametrize("locale", BUILTIN_LOCALES)
def test_email_defaults_escape_the_app_name_and_carry_the_code(locale):
    values = template_values(code=CODE, expiry_minutes=10, app_name="<b>A&B</b>", channel="email",
                             locale=locale, metadata={})
    parts = source_render(builtin_source(key="otp_email", locale=locale), values)
    assert CODE in parts.body and CODE in parts.html
    assert "<b>A&B</b>" not in parts.html and "&lt;b&gt;A&amp;B&lt;/b&gt;" in parts.html
    assert "<b>A&B</b>" in parts.body and "\n" not in parts.subject
    assert f'dir="{TEXTS[locale].get("dir", "ltr")}"' in parts.html


def test_plurals_follow_the_number():
    def whatsapp(locale, n):
        values = template_values(code=CODE, expiry_minutes=n, app_name="A", channel="whatsapp", locale=locale,
                                 metadata={})
        return source_render(builtin_source(key="otp_whatsapp", locale=locale), values).body

    assert whatsapp("en", 1).endswith("1 minute.") and whatsapp("en", 5).endswith("5 minutes.")
    assert whatsapp("de", 1).endswith("1 Minute gültig.") and whatsapp("de", 5).endswith("5 Minuten gültig.")
    assert whatsapp("ar", 1).endswith("دقيقة واحدة.") and whatsapp("ar", 5).endswith("5 دقائق.")
    assert whatsapp("ar", 15).endswith("15 دقيقة.")
