"""Destination rules against SMS pumping: allowed countries and phone number types."""
import pytest

from accounts.validators import destinations_parse
from otp.ratelimits.destinations import destination_refusal
from otp.ratelimits.exceptions import DestinationNotAllowed, NumberTypeNotAllowed

DEFAULT_TYPES = frozenset({"MOBILE", "FIXED_LINE_OR_MOBILE"})
EVERYWHERE = (frozenset(), frozenset())


def refusal(number, *, channel="sms", destinations=EVERYWHERE, types=DEFAULT_TYPES):
    return destination_refusal(channel=channel, number=number, destinations=destinations, number_types=types)


@pytest.mark.parametrize(
    "number",
    [
        "+14155552671",  # US: FIXED_LINE_OR_MOBILE (North America cannot tell them apart)
        "+447911123456",  # GG mobile
        "+33612345678",  # FR mobile
        "+4915112345678",  # DE mobile
    ],
)
def test_mobile_and_north_american_numbers_are_accepted_by_default(number):
    assert refusal(number) is None


@pytest.mark.parametrize(
    ("number", "number_type"),
    [
        ("+19005551234", "PREMIUM_RATE"),
        ("+18005551234", "TOLL_FREE"),
        ("+442071838750", "FIXED_LINE"),
        ("+4930123456", "FIXED_LINE"),
        ("+447031234567", "PERSONAL_NUMBER"),
        ("+15005550006", "PERSONAL_NUMBER"),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_premium_toll_free_fixed_line_and_personal_numbers_are_refused(number, number_type, channel):
    error = refusal(number, channel=channel)
    assert isinstance(error, NumberTypeNotAllowed)
    assert (error.status_code, error.code) == (400, "number_type_not_allowed")
    assert error.details["number_type"] == number_type
    assert error.details["field"] == f"recipients.{channel}"
    assert error.message.startswith("Number type not allowed")


def test_an_account_may_accept_more_number_types():
    assert refusal("+442071838750", types=DEFAULT_TYPES | {"FIXED_LINE"}) is None


def test_an_empty_type_set_accepts_every_type():
    assert refusal("+19005551234", types=frozenset()) is None


def test_a_region_list_refuses_other_countries_naming_region_and_calling_code():
    error = refusal("+33612345678", destinations=destinations_parse("US, CA"))
    assert isinstance(error, DestinationNotAllowed)
    assert (error.status_code, error.code) == (400, "destination_not_allowed")
    assert error.details == {"field": "recipients.sms", "channel": "sms", "region": "FR", "calling_code": "+33"}


def test_listed_regions_and_calling_codes_are_accepted():
    destinations = destinations_parse("FR, +49")
    assert refusal("+33612345678", destinations=destinations) is None
    assert refusal("+4915112345678", destinations=destinations) is None


def test_a_calling_code_covers_every_region_that_shares_it_and_a_region_only_itself():
    # +44 7911 numbers belong to Guernsey: "GB" alone does not cover them, "+44" does.
    assert isinstance(refusal("+447911123456", destinations=destinations_parse("GB")), DestinationNotAllowed)
    assert refusal("+447911123456", destinations=destinations_parse("+44")) is None


def test_the_country_rule_is_checked_before_the_number_type():
    error = refusal("+19005551234", destinations=destinations_parse("FR"))
    assert isinstance(error, DestinationNotAllowed)
