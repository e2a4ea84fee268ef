"""Probes, OpenAPI schema and local Swagger UI, JSON 404/500 envelopes, and code scrubbing in logs."""
import io
import logging
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import path

from otp.models import OTPSession
from otpservice.logging import ScrubCodesFilter, codes_redacted

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("database password is hunter2")


# This module doubles as a URLconf (pytest.mark.urls) for a plain Django view that crashes.
urlpatterns = [path("boom", _boom)]
handler404 = "otpservice.urls.not_found"
handler500 = "otpservice.urls.server_error"


def assert_envelope(response, status, code, type_):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert (body["error"]["code"], body["error"]["type"], body["code"]) == (code, type_, code)
    assert (body["message"], body["details"]) == (body["error"]["message"], body["error"]["details"])
    return body


# --- probes -------------------------------------------------------------------------------------


def test_healthz_answers_200_without_an_api_key():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency_and_in_process_tasks_as_eager():
    # Tests run Celery eagerly (no broker): nothing to reach, so "eager", not "ok"; still ready.
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "eager", "worker": "eager"}
    }


def test_readyz_is_503_naming_the_failing_dependency(monkeypatch):
    def broken():
        raise ConnectionError("redis://secret@host")

    monkeypatch.setattr("otpservice.health._cache", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {
        "database": "ok", "cache": "error: ConnectionError", "broker": "eager", "worker": "eager"
    }
    assert b"secret" not in response.content


# --- schema and docs ----------------------------------------------------------------------------


def test_schema_is_an_openapi_3_document_listing_every_endpoint():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = {p.rstrip("/") for p in schema["paths"]}
    assert {
        "/api/v1/otp/send", "/api/v1/otp/verify", "/api/v1/otp/resend", "/api/v1/otp/sessions",
        "/api/v1/otp/sessions/{session_id}", "/api/v1/otp/sessions/{session_id}/cancel",
        "/api/v1/contacts", "/api/v1/contacts/{contact_id}",
    } <= paths
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    send = next(ops for p, ops in schema["paths"].items() if p.rstrip("/") == "/api/v1/otp/send")["post"]
    assert {"200", "400", "401", "413", "415", "422"} <= set(send["responses"])


def test_schema_is_served_as_yaml_by_default():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_swagger_ui_is_served_with_local_assets_only():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for host in ("unpkg", "jsdelivr", "cdnjs", "cloudflare", "googleapis", "http://", "https://", "//cdn"):
        assert host not in html, host
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset[len("/static/") :]), f"{asset} is not a local static file"


# --- error envelopes ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v2/otp/send", "/nothing-here"])
def test_an_unknown_path_is_a_json_404_envelope(settings, url):
    settings.DEBUG = False
    body = assert_envelope(Client().get(url), 404, "not_found", "not_found_error")
    assert body["details"]["path"] == url


def test_a_wrong_method_on_an_api_path_is_a_405_envelope(api):
    assert_envelope(api.get("/api/v1/otp/send"), 405, "method_not_allowed", "validation_error")


def test_an_unhandled_error_in_an_api_view_is_a_500_envelope_with_a_request_id(api, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("otp.services.session_send", explode)
    response = api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "a@example.com"}})
    body = assert_envelope(response, 500, "server_error", "server_error")
    request_id = response["X-Request-ID"]
    assert request_id and body["details"] == {"request_id": request_id}
    assert body["message"] == f"Internal server error; quote request id {request_id}"
    for leak in (b"hunter2", b"Traceback", b"RuntimeError", b"services.py"):
        assert leak not in response.content
    assert OTPSession.objects.count() == 0


@pytest.mark.urls("otpservice.tests.test_misc")
def test_an_unhandled_error_outside_drf_is_a_500_envelope_quoting_the_callers_request_id(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom", headers={"X-Request-ID": "req-42.a_b"})
    body = assert_envelope(response, 500, "server_error", "server_error")
    assert body["details"] == {"request_id": "req-42.a_b"}
    assert response["X-Request-ID"] == "req-42.a_b"
    assert b"hunter2" not in response.content and b"Traceback" not in response.content


def test_an_unsafe_incoming_request_id_is_replaced(api):
    response = api.get("/api/v1/otp/sessions", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# --- log scrubbing ------------------------------------------------------------------------------


def _configured_scrubbing_handler():
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, ScrubCodesFilter) for f in handler.filters):
            return handler
    raise AssertionError("settings.LOGGING attaches no ScrubCodesFilter to a root handler")


def _written(emit) -> str:
    handler = _configured_scrubbing_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        emit()
    finally:
        handler.setStream(previous)
    return stream.getvalue()


def test_a_code_being_sent_is_redacted_from_every_logger_by_the_configured_handler():
    def emit():
        with codes_redacted("483920"):
            logging.getLogger("twilio.http_client").warning("POST /Messages.json Body=%s is your code", "483920")
            logging.getLogger("django.request").warning("Body=Your code is 483920. To=+14155552671")

    output = _written(emit)
    assert "483920" not in output
    assert output.count("[redacted]") == 2
    assert "+14155552671" in output  # a phone number is not the code


def test_numbers_that_are_not_a_known_code_stay_readable():
    lines = ["connect 127.0.0.1:6379 failed", "worker pid 12345 exited", 'File "x.py", line 1234', "Twilio error 21211"]

    def emit():
        with codes_redacted("654321"):
            for line in lines:
                logging.getLogger("celery.worker").warning(line)
        logging.getLogger("otp.tasks").warning("outside any send: 654321 and port 5432")

    output = _written(emit)
    for line in lines:
        assert line in output
    assert "654321 and port 5432" in output  # no code is held there: nothing to redact


@pytest.mark.parametrize("code", ["1234", "123456", "12345678"])
def test_a_known_code_of_any_length_is_redacted_but_not_inside_a_longer_number(code):
    record = logging.LogRecord("any.logger", logging.INFO, __file__, 1, "otp=%s id=9%s9", (code, code), None)
    with codes_redacted(code):
        assert ScrubCodesFilter().filter(record) is True
    assert record.getMessage() == f"otp=[redacted] id=9{code}9"


def test_an_exception_carrying_a_code_out_of_the_block_is_scrubbed_when_logged_later():
    def emit():
        try:
            with codes_redacted("764048"):
                raise KeyError("no variable near 764048")
        except KeyError as exc:
            # As Celery's tracer does, after the task function returned: the code is no longer held.
            logging.getLogger("celery.app.trace").error("Task raised unexpected: %r", exc, exc_info=True)

    output = _written(emit)
    assert "KeyError" in output and "Task raised unexpected" in output
    assert "764048" not in output
