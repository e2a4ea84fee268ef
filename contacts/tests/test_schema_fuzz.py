"""Schemathesis fuzzes the contacts operations with the live key (the project-wide fuzz uses the
test key, which contacts refuse): no 5xx, and every answer is as the schema documents it."""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from contacts.models import Contact
from otpservice.wsgi import application

pytestmark = pytest.mark.django_db

CONFIG = SchemathesisConfig.from_dict({"seed": 20260115})
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler would close the connection, and so end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.include(path_regex="^/api/v1/contacts").parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_fuzz_contacts_with_the_live_key(case, account_keys):
    if "contact_id" in (case.path_parameters or {}):
        # A real contact: random ids would only ever reach the 404, never the success paths.
        contact, _ = Contact.objects.get_or_create(account=account_keys.account, email="fuzz@example.com")
        case.path_parameters["contact_id"] = str(contact.pk)
    case.call_and_validate(headers={"X-API-Key": account_keys.live_key}, checks=CHECKS)
