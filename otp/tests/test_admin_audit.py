"""Audit log (django-auditlog): an entry for each kind of change operators make, with who, what,
before and after; never a key, its hash or a code; read-only in admin."""
import json
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AbusePolicy, ApiKey
from accounts.tests.test_admin_keys import management
from otp.fraud.models import FraudListEntry, TestRecipient
from templates_app.models import OTPTemplate
from wallet.models import Price, Wallet

pytestmark = pytest.mark.django_db

KEY = re.compile(r"sk_(live|test)_[A-Za-z0-9_-]{43}")


def entries_for(model, pk=None):
    entries = LogEntry.objects.get_for_model(model).order_by("timestamp", "pk")
    return list(entries.filter(object_pk=str(pk)) if pk is not None else entries)


def everything_logged() -> str:
    return json.dumps(
        [[e.changes, e.object_repr, e.serialized_data, e.additional_data] for e in LogEntry.objects.all()], default=str
    )


def test_creating_and_revoking_a_key_is_audited_without_the_key_or_its_hash(admin_client, admin_user, account):
    created = admin_client.post(
        reverse("admin:accounts_apikey_create", args=[account.pk]), {"name": "checkout", "mode": "live"}
    )
    raw = KEY.search(created.content.decode()).group(0)
    key = ApiKey.objects.get(account=account, name="checkout")
    admin_client.post(reverse("admin:accounts_apikey_revoke", args=[key.pk]))

    create, revoke = entries_for(ApiKey, key.pk)
    assert create.action == LogEntry.Action.CREATE and create.actor == admin_user
    assert create.changes["name"] == ["None", "checkout"] and create.changes["prefix"][1] == key.prefix
    assert revoke.action == LogEntry.Action.UPDATE and revoke.actor == admin_user
    assert list(revoke.changes) == ["revoked_at"] and revoke.changes["revoked_at"][0] == "None"
    logged = everything_logged()
    assert "key_hash" not in logged and key.key_hash not in logged and raw not in logged


def test_a_top_up_is_audited_with_the_balance_before_and_after(admin_client, admin_user, account):
    wallet = Wallet.objects.get(account=account)
    form = admin_client.post(
        reverse("admin:wallet_wallet_changelist"), {"action": "top_up", "_selected_action": [wallet.pk]}
    ).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    admin_client.post(
        reverse("admin:wallet_wallet_changelist"),
        {"action": "top_up", "_selected_action": [wallet.pk], "apply": "1", "amount": "5", "token": token, "note": "promo"},
    )
    (entry,) = [e for e in entries_for(Wallet, wallet.pk) if e.action == LogEntry.Action.UPDATE]
    assert entry.actor == admin_user
    assert entry.changes == {"balance": ["100.0000", "105.0000"]}
    assert entry.additional_data["admin_action"] == "top_up" and entry.additional_data["note"] == "promo"


def test_a_price_change_is_audited(admin_client, admin_user):
    price = Price.objects.get(account__isnull=True, channel="sms")
    response = admin_client.post(
        reverse("admin:wallet_price_change", args=[price.pk]), {"account": "", "channel": "sms", "amount": "0.0200"}
    )
    assert response.status_code == 302
    (entry,) = entries_for(Price, price.pk)
    assert entry.actor == admin_user and entry.changes == {"amount": ["150", "200"]}


def test_a_policy_change_is_audited(admin_client, admin_user, account):
    AbusePolicy.objects.create(account=account, send_rate="100/m")
    LogEntry.objects.all().delete()
    url = reverse("admin:accounts_account_change", args=[account.pk])
    html = admin_client.get(url).content.decode()
    response = admin_client.post(url, {
        "name": account.name, "is_active": "on", "default_locale": "", "webotp_domain": "", "android_app_hash": "",
        **management(html, "api_keys"), **management(html, "abuse_policy", pk="account"),
        "abuse_policy-0-send_rate": "10/m",
        "abuse_policy-0-whatsapp_destinations": "GB",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = entries_for(AbusePolicy, account.pk)
    assert entry.actor == admin_user
    assert entry.changes == {"send_rate": ["100/m", "10/m"], "whatsapp_destinations": ["", "GB"]}


def test_an_account_change_is_audited(admin_client, admin_user, account):
    url = reverse("admin:accounts_account_change", args=[account.pk])
    html = admin_client.get(url).content.decode()
    admin_client.post(url, {
        "name": "Acme Renamed", "is_active": "on", "default_locale": "fr", "webotp_domain": "", "android_app_hash": "",
        **management(html, "api_keys"), **management(html, "abuse_policy"),
    })
    entry = entries_for(type(account), account.pk)[-1]
    assert entry.actor == admin_user
    assert entry.changes == {"name": ["Acme", "Acme Renamed"], "default_locale": ["", "fr"]}


def test_template_changes_are_audited_whoever_makes_them(api, account):
    response = api.post("/api/v1/otp/templates", {"key": "otp_sms", "body": "Code {{ otp }}"})
    assert response.status_code == 201, response.content
    template = OTPTemplate.objects.get(account=account, key="otp_sms")
    (entry,) = entries_for(OTPTemplate, template.pk)
    assert entry.action == LogEntry.Action.CREATE and entry.changes["body"] == ["None", "Code {{ otp }}"]
    assert entry.actor is None  # an API key, not a staff user, made it


def test_staff_group_changes_are_audited(admin_client, admin_user, django_user_model):
    user = django_user_model.objects.create_user(username="eve", password="a long password 1", is_staff=True)
    operators = Group.objects.get(name="operators")
    url = reverse("admin:auth_user_change", args=[user.pk])
    response = admin_client.post(url, {
        "username": "eve", "is_active": "on", "is_staff": "on", "groups": [operators.pk],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    changes = [e.changes for e in entries_for(django_user_model, user.pk) if e.actor == admin_user]
    assert any(c.get("groups", {}).get("objects") == ["operators"] for c in changes), changes
    assert "password" not in everything_logged()


def test_the_audit_log_is_read_only_in_admin(admin_client, account):
    ApiKey.objects.filter(account=account).first().save()  # something to look at
    entry = LogEntry.objects.first()
    assert admin_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 200
    assert admin_client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {}).status_code == 403
    assert admin_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_block_list_entries_and_test_recipients_are_audited_without_the_fixed_code(api):
    listed = api.post("/api/v1/otp/blocklist", {"value": "+4479"})
    assert listed.status_code == 201, listed.content
    added = api.post("/api/v1/otp/test-recipients", {"recipient": "reviewer@example.com", "code": "246810"})
    assert added.status_code == 201, added.content
    (block,) = entries_for(FraudListEntry)
    assert block.action == LogEntry.Action.CREATE and block.changes["value"] == ["None", "+4479"]
    (reviewer,) = entries_for(TestRecipient)
    assert reviewer.changes["recipient"] == ["None", "reviewer@example.com"]
    sealed = TestRecipient.objects.get().code_sealed
    logged = everything_logged()
    assert "code_sealed" not in logged and sealed not in logged and "246810" not in logged
