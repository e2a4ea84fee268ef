"""The error-envelope assertion every API test shares (DESIGN.md §6)."""


def assert_error(response, status, code, field=None, type_="validation_error"):
    """The response is `status` with error `code` (and `type_` unless None), and the top-level
    message/code/details mirror `error` for the Node SDK; returns the body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["code"], body["code"]) == (code, code)
    if type_ is not None:
        assert body["error"]["type"] == type_
    assert (body["message"], body["details"]) == (body["error"]["message"], body["error"]["details"])
    if field is not None:
        assert body["details"]["field"] == field
    return body
