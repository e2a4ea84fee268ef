"""Hypothesis strategies for hostile input: JSON and query strings with the text, numbers and nesting
that PostgreSQL, Python's float or its recursion limit cannot take."""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

# Every code point, NUL and lone surrogates included (hypothesis leaves surrogates out by default).
ANY_CHAR = st.characters(exclude_categories=())
ODD_TEXT = st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "x\udbffy", "\ud83d\ude00", "\ufeff", "\u202e", ""])
TEXT = st.one_of(st.text(ANY_CHAR, max_size=12), ODD_TEXT)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS, lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4), max_leaves=12
)

# JSON text no Python value serializes to: overflowing numbers, deep nesting, huge digit runs, escapes.
RAW_JSON = st.one_of(
    st.sampled_from(["1e999", "-1e999", "1E400", "9" * 5000, "-" + "9" * 4300, "1e-999", '"\\ud800"', '"\\u0000"']),
    st.integers(min_value=30, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=30, max_value=300).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
)
_RAW = "__raw_json_placeholder__"


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))


def _replaced(value, path, new):
    if not path:
        return new
    value = value if isinstance(value, dict) else {}
    return {**value, path[0]: _replaced(value.get(path[0]), path[1:], new)}


@st.composite
def bodies(draw, valid: dict) -> bytes:
    """A request body derived from `valid`: a field (or the whole body) replaced by arbitrary JSON or
    by raw JSON text, a field added, or the body cut short."""
    paths = list(_paths(valid)) + [("metadata",), ("config",), ("config", "otp_length"), ("unknown",)]
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["json", "raw", "cut"]))
    if kind == "json":
        return json.dumps(_replaced(valid, path, draw(JSON))).encode()
    text = json.dumps(_replaced(valid, path, _RAW)).replace(f'"{_RAW}"', draw(RAW_JSON))
    if kind == "cut":
        text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
    return text.encode()


def query_strings(names: list[str]) -> st.SearchStrategy[str]:
    """Query strings over the endpoint's own names, metadata filters and arbitrary names, with values
    that are text, huge integers and datetimes at and beyond their range."""
    known = st.sampled_from([*names, "metadata.k", "metadata.", "metadata.\x00", "page", "limit"])
    name = st.one_of(known, known, TEXT)
    value = st.one_of(
        TEXT,
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.integers(min_value=2**31 - 2, max_value=10**40).map(str),
        st.integers(min_value=0, max_value=40).map(lambda exponent: str(2**63 + 10**exponent)),
        st.datetimes().map(lambda moment: moment.isoformat()),
        st.sampled_from(
            ["99999-01-01", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00+99:00",
             "1e5", "\uff11", "NaN", "-0", "+1", "0", "true", "2147483648", str(2**63)]
        ),
    )
    # One known name alone reaches its field; several names, most often one unknown, the name check.
    pairs = st.one_of(st.tuples(known, value).map(lambda pair: [pair]), st.lists(st.tuples(name, value), max_size=4))
    return pairs.map(lambda items: urlencode(items, errors="surrogatepass"))


def path_segments() -> st.SearchStrategy[str]:
    """A path parameter: a UUID, or any text percent-encoded (surrogates as their CESU-8 bytes)."""
    return st.one_of(st.uuids().map(str), TEXT.map(lambda text: quote(text, safe="", errors="surrogatepass")))
