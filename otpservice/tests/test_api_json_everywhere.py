"""Under /api/ every answer is JSON in the error envelope, DEBUG on (make run) or off; a 4xx is
logged once; in-process delivery logs no kombu warning."""
import logging

import pytest
from django.test import Client

from otpservice.tests.envelope import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope", "/api/v1/otp/sessions/a/b/c", "/api/v2/otp/send", "/api/", "/api/v1/otp/templates/otp_sms/nope"],
)
def test_an_unknown_path_is_the_not_found_envelope(debug, api, path):
    body = assert_error(api.get(path), 404, "not_found", type_="not_found_error")
    assert body["details"] == {"path": path}
    assert "/api/docs/" in body["message"]


def test_an_unknown_path_needs_no_key_to_be_answered_in_json(debug):
    response = Client().post("/api/v1/nope", b"{}", content_type="application/json")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found", type_="not_found_error")


@pytest.mark.parametrize(("method", "path"), [("get", "/api/v1/otp/send"), ("put", "/api/v1/otp/verify"),
                                              ("delete", "/api/v1/otp/sessions"), ("post", "/api/v1/wallet")])
def test_a_wrong_method_on_an_api_view_is_the_method_not_allowed_envelope(debug, api, method, path):
    response = getattr(api, method)(path)
    body = assert_error(response, 405, "method_not_allowed", type_=None)
    allowed = ["GET", "HEAD"] if path in ("/api/v1/otp/sessions", "/api/v1/wallet") else ["POST"]
    assert body["details"] == {"allowed": allowed}
    assert allowed[0] in response["Allow"]


def test_a_wrong_method_on_a_plain_view_is_the_envelope_with_allow(debug):
    response = Client().get("/api/v1/webhooks/twilio/status")
    body = assert_error(response, 405, "method_not_allowed", type_=None)
    assert body["details"] == {"allowed": ["POST"]}
    assert response["Allow"] == "POST"


def test_outside_the_api_nothing_changes(settings):
    settings.DEBUG = True
    response = Client().get("/api/docs")  # the Swagger page still gets its slash
    assert (response.status_code, response["Location"]) == (301, "/api/docs/")
    assert Client().get("/api/docs/").status_code == 200
    assert Client().get("/nope").status_code == 404  # not under /api/: Django's own page in DEBUG


@pytest.mark.parametrize("resource", ["messages/send", "email/send", "sms/send", "whatsapp/send", "sms/executions/1"])
def test_sendmator_resources_not_offered_name_what_is(debug, api, resource):
    body = assert_error(api.post(f"/api/v1/{resource}", {}), 404, "not_found", type_="not_found_error")
    assert "is not offered by this service" in body["message"]
    assert "POST /api/v1/otp/send" in body["message"]
    assert body["details"]["path"] == f"/api/v1/{resource}"


def test_a_4xx_is_logged_once_by_the_access_log_not_by_django_request(api, caplog):
    caplog.set_level(logging.INFO)
    assert api.post("/api/v1/otp/verify", {"token": "abc", "otps": {"sms": "123456"}}).status_code == 400
    assert Client().get("/api/v1/nope").status_code == 404
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_django_request_still_logs_what_is_not_a_client_error(caplog):
    logger = logging.getLogger("django.request")
    caplog.set_level(logging.WARNING)
    logger.error("Internal Server Error: %s", "/x", extra={"status_code": 500})
    logger.warning("Not Found: %s", "/x", extra={"status_code": 404})
    logger.warning("a record of its own")
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        "Internal Server Error: /x", "a record of its own",
    ]


def test_in_process_delivery_logs_no_kombu_warning(api, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.WARNING)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}})
    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []
