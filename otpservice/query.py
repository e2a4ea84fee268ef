"""What a request carries outside its body, checked in one place: query strings and headers.

A misspelt filter is a 400, never ignored; integers are ASCII digits within documented bounds; no
value may hold text PostgreSQL cannot store (NUL, lone surrogates), so nothing reaches a query
that the database would refuse with an error.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from django.http import QueryDict
from rest_framework import serializers

from .errors import InvalidRequest
from .text import printable, text_problem

# page × limit stays far inside PostgreSQL's bigint OFFSET (and a page past the last is just empty).
PAGE_MAX = 2**31 - 1
LIMIT_MAX = 100
_INTEGER = re.compile(r"[+-]?[0-9]+")


def reject_unknown_params(
    query_params: Iterable[str], allowed: Collection[str], *, prefixes: tuple[str, ...] = ()
) -> None:
    """Raise InvalidRequest naming every parameter that is neither allowed nor under a prefix.

    A typo such as `?stauts=FAILED` would otherwise list everything, unfiltered, with a 200.
    """
    unknown = sorted(
        {printable(key) for key in query_params if key not in allowed and not key.startswith(prefixes)}
    )
    if unknown:
        raise InvalidRequest(
            f"{unknown[0]}: unknown query parameter",
            details={"field": unknown[0], "errors": {key: ["Unknown query parameter."] for key in unknown}},
        )


def _refuse(field: str, problem: str) -> InvalidRequest:
    field = printable(field)
    return InvalidRequest(f"{field}: {problem}", details={"field": field, "errors": {field: [problem]}})


def query_values(
    query_params: QueryDict, allowed: Collection[str], *, prefixes: tuple[str, ...] = ()
) -> dict[str, str]:
    """The query string as {name: value} (the last value of a repeated name), once every name is
    known and every name and value is text the database can hold; raise InvalidRequest otherwise."""
    reject_unknown_params(query_params, allowed, prefixes=prefixes)
    for key, values in query_params.lists():
        for text in (key, *values):
            problem = text_problem(text)
            if problem:
                raise _refuse(key, problem)
    return {key: query_params[key] for key in query_params}


def header_token(headers, name: str, *, max_length: int) -> str:
    """A header holding an opaque token (such as Idempotency-Key): printable ASCII, bounded; "" if absent."""
    value = headers.get(name, "")
    if len(value) > max_length:
        raise _refuse(name, f"Must be at most {max_length} characters.")
    if not all(" " <= char <= "~" for char in value):
        raise _refuse(name, "Must be printable ASCII.")
    return value


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter: ASCII digits only, then the field's min and max.

    int() would also take "１" (full-width), " 1", "1_000", and DRF's field "1.0".
    """

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _INTEGER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class PageQuery(serializers.Serializer):
    """`page` and `limit` of every paginated list (mixed into each endpoint's filter serializer)."""

    page = QueryIntegerField(min_value=1, max_value=PAGE_MAX, default=1)
    limit = QueryIntegerField(min_value=1, max_value=LIMIT_MAX, default=20)
