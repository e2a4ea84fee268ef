"""json_loads, the one JSON decoder of the API: whatever the bytes, a storable document or a 400."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from otpservice.errors import InvalidJSON, InvalidRequest, ServiceError
from otpservice.parsers import MAX_JSON_DEPTH, json_loads
from otpservice.tests.strategies import JSON, RAW_JSON
from otpservice.text import text_problem

EXAMPLES = settings(max_examples=300, deadline=None, database=None, derandomize=True)


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from texts(child)
    elif isinstance(value, list):
        for child in value:
            yield from texts(child)


def storable(value) -> bool:
    return depth(value) <= MAX_JSON_DEPTH and not any(text_problem(text) for text in texts(value))


@EXAMPLES
@given(JSON)
def test_a_document_is_returned_as_is_when_storable_and_refused_with_a_400_otherwise(value):
    raw = json.dumps(value).encode()
    # Judge what the JSON text says: two adjacent surrogates in a Python str are escaped separately
    # by json.dumps and decode as one valid pair.
    value = json.loads(raw)
    if storable(value):
        assert json_loads(raw) == value
        return
    try:
        json_loads(raw)
    except InvalidRequest as error:
        assert error.status_code == 400 and error.code == "invalid_request"
        assert not text_problem(error.details["field"]), "the field name must itself be printable"
    else:
        raise AssertionError("an unstorable document was accepted")


@EXAMPLES
@given(st.one_of(st.binary(max_size=200), RAW_JSON.map(str.encode)))
def test_any_bytes_decode_or_raise_a_400_and_nothing_else(raw):
    try:
        value = json_loads(raw)
    except ServiceError as error:
        assert isinstance(error, (InvalidJSON, InvalidRequest)) and error.status_code == 400
    else:
        assert storable(value)
        # What is returned can always be written back: finite numbers, UTF-8 text.
        json.dumps(value, allow_nan=False).encode()


def test_the_depth_bound_counts_the_outermost_value_as_level_one():
    assert json_loads(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    try:
        json_loads(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    except InvalidJSON as error:
        assert f"nested more than {MAX_JSON_DEPTH} levels" in error.message
    else:
        raise AssertionError("33 levels were accepted")
