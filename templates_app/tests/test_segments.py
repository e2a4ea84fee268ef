"""SMS length and segments: GSM-7 with its extension table, UCS-2 in UTF-16 code units."""
import math

from hypothesis import given
from hypothesis import strategies as st

from templates_app.segments import GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, sms_length

basic = st.text(alphabet=sorted(GSM7_BASIC), max_size=500)
gsm = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=500)
non_gsm = st.characters(blacklist_characters=sorted(GSM7_BASIC | GSM7_EXTENSION), blacklist_categories=("Cs",))


def test_limits_at_the_edges():
    assert sms_length("a" * 160) == (sms_length("a" * 160).__class__(160, GSM7, 1))
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2
    assert sms_length("a" * 307).segments == 3
    assert sms_length("я" * 70).segments == 1
    assert sms_length("я" * 71).segments == 2
    assert sms_length("я" * 134).segments == 2
    assert sms_length("я" * 135).segments == 3


def test_extension_characters_count_double_and_are_never_split():
    assert sms_length("€" * 80) == sms_length("€" * 80).__class__(160, GSM7, 1)
    assert sms_length("€" * 81).segments == 2
    # 152 septets then a two-septet character: it moves whole to the second part.
    assert sms_length("a" * 152 + "€" + "a" * 8).segments == 2
    assert sms_length("a" * 152 + "€" + "a" * 153).segments == 3


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2():
    assert sms_length("Your code is 123456").encoding == GSM7
    assert sms_length("Your code is 123456 ✓").encoding == UCS2
    assert sms_length("ç").encoding == UCS2  # GSM-7 has Ç only


def test_emoji_count_two_utf16_units_and_are_never_split():
    assert sms_length("😀" * 35) == sms_length("😀" * 35).__class__(70, UCS2, 1)
    assert sms_length("a" * 66 + "😀").segments == 1  # 68 units
    assert sms_length("a" * 66 + "😀" + "a" * 3).segments == 2
    assert sms_length("a" * 66 + "😀" + "a" * 67).segments == 3  # the emoji cannot straddle parts 1 and 2


@given(basic)
def test_basic_gsm7_text_needs_the_segments_of_its_length(text):
    length = sms_length(text)
    assert length.encoding == GSM7 and length.length == len(text)
    assert length.segments == (1 if len(text) <= 160 else math.ceil(len(text) / 153))


@given(gsm)
def test_gsm7_length_counts_extension_characters_twice(text):
    length = sms_length(text)
    assert length.length == len(text) + sum(char in GSM7_EXTENSION for char in text)
    assert length.segments >= (1 if length.length <= 160 else math.ceil(length.length / 153))
    assert length.segments <= max(1, math.ceil(length.length / 152))


@given(gsm, non_gsm, gsm)
def test_any_other_character_switches_to_ucs2_counted_in_utf16_units(before, char, after):
    text = before + char + after
    length = sms_length(text)
    assert length.encoding == UCS2
    assert length.length == len(text.encode("utf-16-le")) // 2
    if length.length <= 70:
        assert length.segments == 1
    else:
        assert math.ceil(length.length / 67) <= length.segments <= math.ceil(length.length / 66)


@given(st.text(max_size=300), st.text(max_size=50))
def test_a_longer_message_never_takes_fewer_segments(text, more):
    if sms_length(text + more).encoding == sms_length(text).encoding:
        assert sms_length(text + more).segments >= sms_length(text).segments
