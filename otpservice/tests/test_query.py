"""reject_unknown_params: one rule for the query strings of every list endpoint."""
import pytest
from django.http import QueryDict

from otpservice.errors import InvalidRequest
from otpservice.query import reject_unknown_params


def test_known_names_and_prefixed_names_pass():
    params = QueryDict("page=1&metadata.plan=pro&metadata.=x")
    assert reject_unknown_params(params, {"page", "limit"}, prefixes=("metadata.",)) is None


def test_unknown_names_are_refused_first_one_named_all_listed():
    with pytest.raises(InvalidRequest) as raised:
        reject_unknown_params(QueryDict("page=1&zeta=1&beta=2&beta=3"), {"page"})
    error = raised.value
    assert (error.status_code, error.code, error.message) == (400, "invalid_request", "beta: unknown query parameter")
    assert error.details == {
        "field": "beta", "errors": {"beta": ["Unknown query parameter."], "zeta": ["Unknown query parameter."]},
    }


def test_a_prefix_only_covers_names_that_start_with_it():
    with pytest.raises(InvalidRequest) as raised:
        reject_unknown_params(QueryDict("xmetadata.a=1"), set(), prefixes=("metadata.",))
    assert raised.value.details["field"] == "xmetadata.a"
