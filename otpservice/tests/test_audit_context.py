"""The audit log's request context (otpservice.middleware.AuditContextMiddleware): set for every
request that can change an audited row, left out for the API's reads, which change none."""
from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest
from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey
from otp.models import FraudListEntry
from otpservice.middleware import AuditContextMiddleware

pytestmark = pytest.mark.django_db


def test_an_api_write_of_an_audited_row_records_the_clients_address_and_a_correlation_id(api):
    created = api.post("/api/v1/otp/blocklist", {"value": "+4479"}, REMOTE_ADDR="203.0.113.9",
                       HTTP_X_CORRELATION_ID="corr-1")
    assert created.status_code == 201, created.content
    (entry,) = LogEntry.objects.get_for_model(FraudListEntry)
    assert entry.remote_addr == "203.0.113.9"
    assert entry.cid == "corr-1"


def test_a_staff_change_in_the_admin_names_its_actor_and_address(admin_client, admin_user, account):
    key = ApiKey.objects.filter(account=account).first()
    revoked = admin_client.post(reverse("admin:accounts_apikey_revoke", args=[key.pk]), REMOTE_ADDR="198.51.100.4")
    assert revoked.status_code == 302
    entries = LogEntry.objects.get_for_model(ApiKey).filter(object_pk=str(key.pk), action=LogEntry.Action.UPDATE)
    assert {(entry.actor_id, entry.remote_addr) for entry in entries} == {(admin_user.pk, "198.51.100.4")}


@pytest.mark.parametrize("path", ["/api/v1/otp/sessions", "/api/v1/wallet", "/api/v1/otp/blocklist", "/api/v1/webhooks"])
def test_an_api_read_writes_no_audited_row_even_when_it_records_the_keys_use(api, account, path):
    # The one write an API read makes: a key's last_used_at, once it is older than its precision.
    ApiKey.objects.filter(account=account).update(last_used_at=timezone.now() - timedelta(days=1))
    before = LogEntry.objects.count()
    response = api.get(path)
    assert response.status_code == 200, response.content
    assert ApiKey.objects.filter(account=account, last_used_at__gte=timezone.now() - timedelta(minutes=1)).exists()
    assert LogEntry.objects.count() == before


def _context_seen(method: str, path: str) -> tuple[dict | None, str | None]:
    """What the view behind the middleware sees: auditlog's request context and correlation id.
    Run in a fresh context, as each request is, so nothing from another test shows through."""
    seen = {}

    def view(request):
        seen["context"], seen["cid"] = auditlog_value.get(None), get_cid()
        return HttpResponse()

    request = RequestFactory().generic(method, path, REMOTE_ADDR="203.0.113.5", HTTP_X_CORRELATION_ID=f"{method}-{path}")
    contextvars.Context().run(AuditContextMiddleware(view), request)
    return seen["context"], seen["cid"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_api_read_gets_no_audit_context_but_its_own_correlation_id(method):
    context, cid = _context_seen(method, "/api/v1/otp/sessions")
    assert context is None
    assert cid == f"{method}-/api/v1/otp/sessions"


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/otp/blocklist"), ("DELETE", "/api/v1/webhooks/x"),
                                              ("GET", "/admin/"), ("POST", "/admin/accounts/account/add/")])
def test_every_other_request_gets_the_audit_context(method, path):
    context, cid = _context_seen(method, path)
    assert context is not None and context["remote_addr"] == "203.0.113.5"
    assert cid == f"{method}-{path}"
