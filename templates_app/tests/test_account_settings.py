"""The account's message settings: default locale, WebOTP domain and Android app hash."""
import pytest
from django.core.exceptions import ValidationError

from accounts.services import account_create
from accounts.validators import locale_canonical

pytestmark = pytest.mark.django_db


def test_locales_are_canonicalized():
    assert locale_canonical("PT_br") == "pt-BR"
    assert locale_canonical("zh-hant-tw") == "zh-Hant-TW"
    assert locale_canonical("en") == "en"
    assert locale_canonical("english") is None and locale_canonical("") is None


@pytest.mark.parametrize(("field", "good", "bad"), [
    ("default_locale", "pt-BR", "pt_br"),
    ("webotp_domain", "login.example.com", "https://example.com"),
    ("android_app_hash", "FA+9qCX9VSu", "FA+9qCX9VS!"),
])
def test_each_setting_is_validated(field, good, bad):
    account = account_create(name="Acme").account
    setattr(account, field, good)
    account.full_clean()
    setattr(account, field, bad)
    with pytest.raises(ValidationError) as problem:
        account.full_clean()
    assert field in problem.value.message_dict


def test_settings_are_blank_by_default():
    account = account_create(name="Acme").account
    assert (account.default_locale, account.webotp_domain, account.android_app_hash) == ("", "", "")
