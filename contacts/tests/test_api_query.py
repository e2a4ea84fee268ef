"""Query parameters of the list endpoints: an unknown one is a 400 everywhere, contacts included."""
import pytest

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/contacts", "/api/v1/otp/sessions", "/api/v1/wallet/transactions"]


@pytest.mark.parametrize("path", LISTS)
def test_unknown_query_parameters_are_400_naming_them(api, path):
    response = api.get(f"{path}?page=1&zeta=1&foo=2")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["success"], body["code"], body["error"]["code"], body["error"]["type"]) == (
        False, "invalid_request", "invalid_request", "validation_error",
    )
    assert body["message"] == body["error"]["message"] == "foo: unknown query parameter"
    assert body["details"] == {
        "field": "foo", "errors": {"foo": ["Unknown query parameter."], "zeta": ["Unknown query parameter."]},
    }


@pytest.mark.parametrize("path", LISTS)
def test_known_query_parameters_are_accepted(api, path):
    assert api.get(f"{path}?page=1&limit=5").status_code == 200
