"""Locale resolution (DESIGN.md §4): never an error, always ending in English."""
from hypothesis import given
from hypothesis import strategies as st

from templates_app.defaults import BUILTIN_LOCALES
from templates_app.locales import COUNTRY_LOCALES, country_locale, locale_builtin, locale_candidates


def test_order_is_requested_then_its_language_then_the_country_then_the_account_then_english():
    assert locale_candidates(requested="pt-BR", channel="sms", recipient="+33612345678", account_default="de") == [
        "pt-BR", "pt", "fr", "de", "en",
    ]


def test_email_ignores_the_recipient_country():
    assert locale_candidates(requested="", channel="email", recipient="+33612345678", account_default="") == ["en"]


def test_whatsapp_uses_the_country_of_the_number():
    assert locale_candidates(channel="whatsapp", recipient="+5511987654321") == ["pt-BR", "pt", "en"]
    assert country_locale("+886912345678") == "zh-Hant"
    assert country_locale("+81312345678") == "ja"


def test_spellings_are_made_canonical_and_aliases_added():
    assert locale_candidates(requested="ZH_tw", channel="email") == ["zh-TW", "zh-Hant", "zh", "en"]
    assert locale_candidates(requested="no", channel="email") == ["no", "nb", "en"]


def test_unknown_or_malformed_locales_are_skipped():
    assert locale_candidates(requested="xx-YY", channel="sms", recipient="not a number") == ["xx-YY", "xx", "en"]
    assert locale_candidates(requested="!!", channel="sms", recipient="+999") == ["en"]


@given(st.text(max_size=40), st.text(max_size=20), st.text(max_size=40))
def test_resolution_never_fails_and_always_ends_in_english(requested, recipient, default):
    candidates = locale_candidates(requested=requested, channel="sms", recipient=recipient, account_default=default)
    assert candidates[-1] == "en" and len(candidates) == len(set(candidates))
    assert any(locale_builtin(candidate) for candidate in candidates)


def test_every_country_language_has_a_builtin():
    assert set(COUNTRY_LOCALES.values()) <= set(BUILTIN_LOCALES)
