"""Staff groups made by accounts' migration: what `operators` and `template editors` can open and do."""
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey
from contacts.models import Contact
from otp.models import DeliveryAttempt, OTPSession, OutboxMessage
from wallet.models import LedgerEntry, Price, Wallet

pytestmark = pytest.mark.django_db

OPERATOR_PERMISSIONS = {
    "otp.view_otpsession", "otp.view_channelverification", "otp.view_deliveryattempt", "otp.view_outboxmessage",
    "wallet.view_wallet", "wallet.view_ledgerentry", "wallet.view_price", "contacts.view_contact",
    "accounts.view_account", "accounts.view_abusepolicy",
    # accounts 0006: what came after the groups, read only.
    "otp.view_frauddecision", "otp.view_fraudlistentry", "otp.view_testrecipient", "events.view_webhookendpoint",
    "events.view_event", "events.view_webhookdelivery", "events.view_deliveryattempt", "contacts.view_contacttag",
}
EDITOR_PERMISSIONS = {
    "templates_app.view_otptemplate", "templates_app.add_otptemplate", "templates_app.change_otptemplate",
    "templates_app.delete_otptemplate",
}


def staff_client(django_user_model, group_name: str) -> Client:
    user = django_user_model.objects.create_user(username=group_name.replace(" ", "_"), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(django_user_model):
    return staff_client(django_user_model, "operators")


@pytest.fixture
def editor(django_user_model):
    return staff_client(django_user_model, "template editors")


@pytest.fixture
def world(api, account_keys, django_capture_on_commit_callbacks, outbox_file):
    """One delivered live session, a contact and a ledger: something on every page."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": "ada@example.com"}})
    assert response.status_code == 200
    Contact.objects.create(account=account_keys.account, email="ada@example.com")
    return OTPSession.objects.get(pk=response.json()["session_id"])


def status(client, name, *args, method="get", data=None):
    url = reverse(f"admin:{name}", args=args)
    return (client.post(url, data or {}) if method == "post" else client.get(url)).status_code


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_gives_each_group_exactly_its_permissions():
    assert group_permissions("operators") == OPERATOR_PERMISSIONS
    assert group_permissions("template editors") == EDITOR_PERMISSIONS


def test_operators_read_sessions_deliveries_outbox_wallets_ledger_and_contacts(operator, world):
    wallet = Wallet.objects.get(account=world.account)
    pages = [
        ("otp_otpsession_changelist",), ("otp_otpsession_change", world.pk),
        ("otp_deliveryattempt_changelist",), ("otp_deliveryattempt_change", DeliveryAttempt.objects.first().pk),
        ("otp_outboxmessage_changelist",), ("otp_outboxmessage_change", OutboxMessage.objects.first().pk),
        ("wallet_wallet_changelist",), ("wallet_wallet_change", wallet.pk), ("wallet_ledgerentry_changelist",),
        ("wallet_price_changelist",), ("contacts_contact_changelist",), ("accounts_account_change", world.account.pk),
    ]
    for name, *args in pages:
        assert status(operator, name, *args) == 200, name


def test_operators_see_no_api_keys_and_cannot_create_or_revoke_one(operator, world):
    key = ApiKey.objects.filter(account=world.account).first()
    assert status(operator, "accounts_apikey_changelist") == 403
    assert status(operator, "accounts_apikey_change", key.pk) == 403
    assert status(operator, "accounts_apikey_create", world.account.pk) == 403
    assert status(operator, "accounts_apikey_create", world.account.pk, method="post", data={"mode": "live"}) == 403
    assert status(operator, "accounts_apikey_revoke", key.pk, method="post") == 403
    account_page = operator.get(reverse("admin:accounts_account_change", args=[world.account.pk])).content.decode()
    assert key.prefix not in account_page and "Create API key" not in account_page
    listing = operator.post(
        reverse("admin:accounts_account_changelist"), {"action": "issue_live_key", "_selected_action": [world.account.pk]}
    )
    assert listing.status_code in (200, 302)
    key.refresh_from_db()
    assert key.revoked_at is None
    assert ApiKey.objects.filter(account=world.account).count() == 2  # no key issued


def test_operators_cannot_top_up_change_prices_policies_or_end_sessions(operator, world):
    wallet = Wallet.objects.get(account=world.account)
    before = (wallet.balance, LedgerEntry.objects.count())
    changelist = operator.get(reverse("admin:wallet_wallet_changelist")).content.decode()
    assert 'value="top_up"' not in changelist
    operator.post(
        reverse("admin:wallet_wallet_changelist"),
        {"action": "top_up", "_selected_action": [wallet.pk], "apply": "1", "amount": "5", "token": "t", "note": ""},
    )
    wallet.refresh_from_db()
    assert (wallet.balance, LedgerEntry.objects.count()) == before

    price = Price.objects.first()
    assert status(operator, "wallet_price_change", price.pk, method="post", data={"amount": "9"}) == 403
    assert status(operator, "wallet_price_add") == 403
    assert status(operator, "accounts_account_change", world.account.pk, method="post", data={"name": "x"}) == 403

    sessions = operator.get(reverse("admin:otp_otpsession_changelist")).content.decode()
    assert "cancel_sessions" not in sessions and "expire_sessions" not in sessions
    operator.post(
        reverse("admin:otp_otpsession_changelist"),
        {"action": "cancel_sessions", "_selected_action": [world.pk], "confirm": "yes"},
    )
    world.refresh_from_db()
    assert world.status == "PENDING"


def test_operators_cannot_open_templates_users_or_the_audit_log(operator):
    assert status(operator, "templates_app_otptemplate_changelist") == 403
    assert status(operator, "auth_user_changelist") == 403
    assert status(operator, "auditlog_logentry_changelist") == 403


def test_template_editors_open_templates_and_nothing_else(editor, world):
    assert status(editor, "templates_app_otptemplate_changelist") == 200
    assert status(editor, "templates_app_otptemplate_add") == 200
    for name, *args in [
        ("otp_otpsession_changelist",), ("otp_otpsession_change", world.pk), ("otp_outboxmessage_changelist",),
        ("accounts_account_changelist",), ("accounts_apikey_changelist",), ("accounts_apikey_create", world.account.pk),
        ("wallet_wallet_changelist",), ("wallet_ledgerentry_changelist",), ("wallet_price_changelist",),
        ("contacts_contact_changelist",), ("auditlog_logentry_changelist",), ("auth_user_changelist",),
    ]:
        assert status(editor, name, *args) == 403, name
    index = editor.get(reverse("admin:index")).content.decode()
    assert "/admin/templates_app/" in index
    assert "/admin/otp/otpsession/" not in index and "/admin/wallet/" not in index and "/admin/accounts/" not in index


def test_operators_read_fraud_decisions_and_webhook_deliveries_but_change_neither(operator, world):
    assert status(operator, "otp_frauddecision_changelist") == 200
    assert status(operator, "events_webhookdelivery_changelist") == 200
    assert status(operator, "events_webhookendpoint_add") == 403
    assert status(operator, "otp_testrecipient_add") == 403
