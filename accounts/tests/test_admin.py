"""Admin for accounts and API keys: a key is never shown again, nor its hash."""
import pytest
from django.urls import reverse

from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def page(admin_client, name, *args):
    response = admin_client.get(reverse(f"admin:{name}", args=args))
    assert response.status_code == 200, response.content[:2000]
    return response


def test_api_key_pages_never_show_the_key_or_its_hash(admin_client, account_keys):
    keys = list(ApiKey.objects.filter(account=account_keys.account))
    assert len(keys) == 2
    changelist = page(admin_client, "accounts_apikey_changelist").content.decode()
    account_page = page(admin_client, "accounts_account_change", account_keys.account.pk).content.decode()
    key_pages = {key.pk: page(admin_client, "accounts_apikey_change", key.pk).content.decode() for key in keys}
    for key in keys:
        # The non-secret prefix identifies the key where it is listed and on its own page.
        assert key.prefix in changelist and key.prefix in account_page and key.prefix in key_pages[key.pk]
    for html in [changelist, account_page, *key_pages.values()]:
        for key in keys:
            assert key.key_hash not in html
        assert account_keys.live_key not in html and account_keys.test_key not in html
        assert "key_hash" not in html and "Key hash" not in html
