"""Pure helpers of the fraud guard: windows, budget, countries, list values, sealing, subjects."""
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otp.fraud.lists import list_value_parse, match_candidates
from otp.fraud.rules import country_budget, floor_hour, peak_daily, phone_country, sliding_count
from otp.fraud.sealing import code_open, code_seal
from otp.fraud.subjects import recipient_subject
from otpservice.errors import InvalidRequest

NOW = datetime(2026, 1, 15, 11, 15, tzinfo=UTC)  # a quarter into the hour


def test_the_budget_is_the_floor_until_the_verified_history_is_larger():
    assert country_budget(peak_verified=0, day_min=20, day_ratio=0.3, hour_min=3, hour_ratio=0.2) == (
        country_budget(peak_verified=10, day_min=20, day_ratio=0.3, hour_min=3, hour_ratio=0.2)
    )
    big = country_budget(peak_verified=1000, day_min=20, day_ratio=0.3, hour_min=3, hour_ratio=0.2)
    assert (big.day, big.hour) == (300, 200)


def test_the_sliding_window_counts_whole_hours_and_the_covered_share_of_the_oldest():
    hour = floor_hour(NOW)
    buckets = {hour: 2, hour - timedelta(hours=1): 4, hour - timedelta(hours=24): 8, hour - timedelta(hours=25): 100}
    assert sliding_count(buckets, now=NOW, hours=1) == 2 + 4 * 0.75
    assert sliding_count(buckets, now=NOW, hours=24) == 2 + 4 + 8 * 0.75


def test_the_peak_is_the_busiest_utc_day():
    day = floor_hour(NOW).replace(hour=0)
    assert peak_daily({day: 3, day + timedelta(hours=5): 4, day - timedelta(hours=1): 6}) == 7
    assert peak_daily({}) == 0


def test_phone_countries_are_regions_and_non_geographic_ranges_their_calling_code():
    assert phone_country("+33612345678") == "FR"
    assert phone_country("+881612345678") == "+881"


@pytest.mark.parametrize(
    ("typed", "kind", "stored", "match"),
    [
        ("+33", "phone", "+33", "+33"),
        ("+33612345678", "phone", "+33612345678", "+33612345678"),
        ("@Example.COM", "domain", "@example.com", "@example.com"),
        ("@googlemail.com", "domain", "@googlemail.com", "@gmail.com"),
        ("A.D.A+x@GMail.com", "email", "A.D.A+x@gmail.com", "ada@gmail.com"),
        ("Ada@Example.com", "email", "Ada@example.com", "ada@example.com"),
    ],
)
def test_list_values_are_stored_as_given_and_matched_canonically(typed, kind, stored, match):
    assert list_value_parse(typed) == (kind, stored, match)


@pytest.mark.parametrize("typed", ["", "33", "+", "+0", "+1234567890123456", "@", "@not a domain", "ada@", "hello"])
def test_list_values_that_are_nothing_known_are_refused_naming_the_field(typed):
    with pytest.raises(InvalidRequest) as refused:
        list_value_parse(typed)
    assert refused.value.details["field"] == "value"


def test_every_prefix_of_a_number_and_the_address_and_domain_of_an_email_are_candidates():
    assert [m for m, _ in match_candidates(channel="sms", recipient="+3361")] == ["+3", "+33", "+336", "+3361"]
    assert match_candidates(channel="email", recipient="A.da+x@gmail.com") == [("ada@gmail.com", 2), ("@gmail.com", 1)]


@given(st.text(alphabet="0123456789", min_size=4, max_size=8))
def test_a_sealed_code_opens_to_itself_and_does_not_contain_it(code):
    sealed = code_seal(code)
    assert code_open(sealed) == code
    assert sealed != code and code_seal(code) != sealed  # random IV: equal codes seal differently


def test_one_inbox_is_one_subject_and_the_subject_is_not_the_recipient():
    spellings = ["Ada@gmail.com", "a.d.a+x@gmail.com", "ADA@googlemail.com"]
    subjects = {recipient_subject(channel="email", recipient=r) for r in spellings}
    assert len(subjects) == 1 and "ada" not in subjects.pop()
    assert recipient_subject(channel="sms", recipient="+33612345678") == recipient_subject(
        channel="whatsapp", recipient="+33612345678"
    )
