"""Account admin: create a key (shown once, with a copy button), revoke it, last use, limits, wallet."""
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.keys import hash_key
from accounts.models import AbusePolicy, ApiKey
from wallet.services import wallet_topup

pytestmark = pytest.mark.django_db

KEY = re.compile(r"sk_(live|test)_[A-Za-z0-9_-]{43}")


def sessions_status(key: str) -> int:
    return APIClient(HTTP_X_API_KEY=key).get("/api/v1/otp/sessions").status_code


def create_key(admin_client, account, **data):
    url = reverse("admin:accounts_apikey_create", args=[account.pk])
    return admin_client.post(url, {"name": "checkout", "mode": "live", **data})


def test_the_account_page_offers_a_create_key_button(admin_client, account):
    html = admin_client.get(reverse("admin:accounts_account_change", args=[account.pk])).content.decode()
    assert reverse("admin:accounts_apikey_create", args=[account.pk]) in html
    form = admin_client.get(reverse("admin:accounts_apikey_create", args=[account.pk]))
    assert form.status_code == 200 and 'name="mode"' in form.content.decode()


def test_a_created_key_is_shown_once_with_a_copy_button_and_works(admin_client, account):
    response = create_key(admin_client, account)
    assert response.status_code == 200
    html = response.content.decode()
    raw = KEY.search(html).group(0)
    assert 'id="copy-api-key"' in html and "navigator.clipboard" in html
    assert "<script src=" not in html.split('id="copy-api-key"', 1)[1]  # no script from elsewhere
    assert "no-store" in response.headers["Cache-Control"]  # never cached on the way
    key = ApiKey.objects.get(account=account, name="checkout")
    assert key.mode == "live" and key.key_hash == hash_key(raw)
    assert sessions_status(raw) == 200
    # Never again: neither on the account page, the key list nor the key's page.
    for url in (
        reverse("admin:accounts_account_change", args=[account.pk]),
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_change", args=[key.pk]),
    ):
        page = admin_client.get(url).content.decode()
        assert raw not in page and key.key_hash not in page


def test_a_test_key_can_be_created_too(admin_client, account):
    raw = KEY.search(create_key(admin_client, account, mode="test").content.decode()).group(0)
    assert raw.startswith("sk_test_")


def test_an_unknown_mode_is_refused_and_creates_nothing(admin_client, account):
    before = ApiKey.objects.count()
    response = create_key(admin_client, account, mode="admin")
    assert response.status_code == 200 and not KEY.search(response.content.decode())
    assert ApiKey.objects.count() == before


def test_revoke_asks_first_then_the_key_stops_working(admin_client, account_keys):
    key = ApiKey.objects.get(account=account_keys.account, mode="live")
    url = reverse("admin:accounts_apikey_revoke", args=[key.pk])
    account_page = admin_client.get(reverse("admin:accounts_account_change", args=[account_keys.account.pk]))
    assert url in account_page.content.decode()
    assert "Yes, revoke it" in admin_client.get(url).content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None and sessions_status(account_keys.live_key) == 200

    response = admin_client.post(url)
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert sessions_status(account_keys.live_key) == 401
    assert sessions_status(account_keys.test_key) == 200  # only that key


def test_last_use_is_shown_on_the_account_page(admin_client, account_keys):
    sessions_status(account_keys.live_key)
    key = ApiKey.objects.get(account=account_keys.account, mode="live")
    assert key.last_used_at is not None
    html = admin_client.get(reverse("admin:accounts_account_change", args=[account_keys.account.pk])).content.decode()
    assert "Last used at" in html or "last used" in html.lower()
    assert "field-last_used_at" in html


def test_the_account_page_shows_the_wallet_balance_and_links_to_its_ledger(admin_client, account):
    wallet_topup(account=account, amount="2.5000", actor="test")
    wallet = account.wallet
    wallet.refresh_from_db()
    html = admin_client.get(reverse("admin:accounts_account_change", args=[account.pk])).content.decode()
    assert re.search(r'class="wallet-balance">102\.5000 USD<', html)
    ledger = reverse("admin:wallet_ledgerentry_changelist") + f"?wallet__id__exact={wallet.pk}"
    assert ledger in html
    assert admin_client.get(ledger).status_code == 200


def test_rate_limits_and_countries_are_set_on_the_account_page(admin_client, account):
    url = reverse("admin:accounts_account_change", args=[account.pk])
    html = admin_client.get(url).content.decode()
    data = {
        "name": account.name, "is_active": "on", "default_locale": "", "webotp_domain": "", "android_app_hash": "",
        **management(html, "api_keys"), **management(html, "abuse_policy"),
        "abuse_policy-0-send_rate": "10/m", "abuse_policy-0-sms_destinations": "US, +44",
        "abuse_policy-0-account": str(account.pk),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = AbusePolicy.objects.get(account=account)
    assert policy.send_rate == "10/m" and policy.sms_destinations == "US, +44"


def management(html: str, prefix: str, pk: str = "id") -> dict:
    """The inline formset's management form and its rows' primary keys, as the page rendered them."""
    fields = {}
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        match = re.search(rf'name="{prefix}-{name}" value="(\d*)"', html)
        fields[f"{prefix}-{name}"] = match.group(1)
    for index in range(int(fields[f"{prefix}-INITIAL_FORMS"])):
        match = re.search(rf'name="{prefix}-{index}-{pk}" value="([^"]*)"', html)
        fields[f"{prefix}-{index}-{pk}"] = match.group(1)
    return fields
