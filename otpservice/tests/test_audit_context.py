"""The audit log's request context (otpservice.middleware.AuditContextMiddleware): set for every
request that can change an audited row, left out for the API's reads, which change none."""
from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey
from otp.models import FraudListEntry

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
