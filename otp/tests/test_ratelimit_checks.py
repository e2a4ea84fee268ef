"""System checks of the rate limit settings: typos fail at start-up, not on the first request."""
from otp.ratelimits.checks import check_rate_limit_settings


def ids():
    return sorted(message.id for message in check_rate_limit_settings())


def test_the_default_settings_pass(settings):
    settings.DEBUG = True
    assert ids() == []


def test_a_malformed_rate_number_type_or_cap_is_an_error(settings):
    settings.DEBUG = True
    settings.OTP = {**settings.OTP, "RATE_SEND": "100/minute", "ALLOWED_NUMBER_TYPES": "MOBILE,CELL", "DAILY_SPEND_CAP": "ten"}
    assert ids() == ["otp.E010", "otp.E011", "otp.E012"]


def test_a_negative_proxy_count_is_an_error(settings):
    settings.DEBUG = True
    settings.TRUSTED_PROXY_COUNT = -1
    assert ids() == ["otp.E013"]


def test_a_per_process_cache_outside_debug_is_a_warning(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ids() == ["otp.W010"]
    settings.RATELIMIT_ENABLE = False
    assert ids() == []
