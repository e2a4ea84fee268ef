"""Parsing and validation of the per-account abuse settings: destinations, number types, rates."""
import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    destinations_parse,
    number_types_parse,
    rate_parse,
    validate_destinations,
    validate_number_types,
    validate_rate,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", (set(), set())), ("us, +44 33", ({"US"}, {44, 33})), ("GB,GG,JE", ({"GB", "GG", "JE"}, set()))],
)
def test_destination_lists_parse_regions_and_calling_codes(value, expected):
    regions, codes = destinations_parse(value)
    assert (set(regions), set(codes)) == expected


@pytest.mark.parametrize("value", ["XX", "+999", "U S A", "+", "Q1"])
def test_unknown_regions_and_calling_codes_are_refused_in_admin(value):
    with pytest.raises(ValidationError):
        validate_destinations(value)


def test_number_types_parse_case_insensitively_and_refuse_unknown_names():
    assert number_types_parse("mobile, FIXED_LINE_OR_MOBILE") == {"MOBILE", "FIXED_LINE_OR_MOBILE"}
    with pytest.raises(ValidationError):
        validate_number_types("MOBILE, SATELLITE")


@pytest.mark.parametrize(
    ("rate", "parsed"), [("5/5m", (5, 300)), ("20/h", (20, 3600)), ("100/m", (100, 60)), ("5/5s", (5, 5)), ("1/d", (1, 86400))]
)
def test_rates_parse_like_django_ratelimit(rate, parsed):
    assert rate_parse(rate) == parsed


@pytest.mark.parametrize("rate", ["", "5", "0/m", "5/0m", "5/5x", "5/m/", "five/m", "5/5m extra", "a.b"])
def test_malformed_rates_are_refused(rate):
    with pytest.raises(ValidationError):
        validate_rate(rate)
