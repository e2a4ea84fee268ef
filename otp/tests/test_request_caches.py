"""A live send's per-account reads, cached in the process (otpservice.process_cache): what a warm
send still queries, and how late a price or webhook endpoint change is charged or delivered:
at once when made in this process (admin, API), within API_KEY_CACHE_SECONDS when made behind the
cache's back (another process; here QuerySet.update/bulk_create, which send no signal)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.crypto import secret_seal
from events.models import Event, WebhookDelivery, WebhookEndpoint
from events.selectors import endpoints_active_cached
from wallet.models import LedgerEntry, Price

pytestmark = pytest.mark.django_db

SEND, WEBHOOKS = "/api/v1/otp/send", "/api/v1/webhooks"
CACHED_TABLES = {"wallet_price", "otp_fraudlistentry", "otp_testrecipient", "events_webhookendpoint"}
TTL = 5


@pytest.fixture(autouse=True)
def _ttl(settings):
    settings.API_KEY_CACHE_SECONDS = TTL
    settings.OTP_WEBHOOKS_ALLOW_PRIVATE = True  # endpoints on loopback, never called here


def send(api, email):
    response = api.post(SEND, {"channels": ["email"], "recipients": {"email": email}})
    assert response.status_code == 200, response.json()
    return response.json()


def tables_read(captured) -> set[str]:
    return {table for table in CACHED_TABLES if any(f'FROM "{table}"' in q["sql"] for q in captured.captured_queries)}


def last_charge() -> int:
    return -LedgerEntry.objects.filter(kind="charge").latest("id").amount


def test_a_second_send_to_a_new_recipient_reads_none_of_the_accounts_cached_rows(api, django_assert_num_queries):
    with CaptureQueriesContext(connection) as cold:
        send(api, "first@example.com")
    assert tables_read(cold) == CACHED_TABLES
    # The savepoint and its release; the fraud guard's advisory lock, counters read and hit insert;
    # the session and row inserts; the charge's wallet update and ledger insert. Nothing else.
    with django_assert_num_queries(9) as warm:
        send(api, "never-seen@example.com")
    assert tables_read(warm) == set()


def test_with_a_ttl_of_zero_every_send_reads_them_again(api, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    send(api, "first@example.com")
    with CaptureQueriesContext(connection) as again:
        send(api, "second@example.com")
    assert tables_read(again) == CACHED_TABLES


# --- prices ---------------------------------------------------------------------------------


def test_a_price_saved_in_the_admin_is_charged_on_the_very_next_send(api, account, admin_client):
    send(api, "a@example.com")
    added = admin_client.post(reverse("admin:wallet_price_add"), {"account": account.pk, "channel": "email", "amount": "0.0040"})
    assert added.status_code == 302
    send(api, "b@example.com")
    assert last_charge() == 40
    price = Price.objects.get(account=account, channel="email")
    changed = admin_client.post(reverse("admin:wallet_price_change", args=[price.pk]),
                                {"account": account.pk, "channel": "email", "amount": "0.0041"})
    assert changed.status_code == 302
    send(api, "c@example.com")
    assert last_charge() == 41


def test_a_global_price_saved_reaches_every_accounts_cached_map(api, other_api):
    send(api, "a@example.com")
    send(other_api, "a@example.com")
    price = Price.objects.get(account__isnull=True, channel="email")
    price.amount = 17
    price.save()
    send(api, "b@example.com")
    assert last_charge() == 17
    send(other_api, "b@example.com")
    assert last_charge() == 17


def test_a_price_changed_behind_the_cache_is_charged_once_the_ttl_passes(api, account, cache_clock):
    Price.objects.create(account=account, channel="email", amount=20)
    send(api, "a@example.com")
    Price.objects.filter(account=account, channel="email").update(amount=30)  # no signal: another process
    send(api, "b@example.com")
    assert last_charge() == 20  # the documented delay
    cache_clock.advance(TTL)
    send(api, "c@example.com")
    assert last_charge() == 30


def test_with_a_ttl_of_zero_a_price_changed_behind_the_cache_is_charged_at_once(api, account, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    Price.objects.create(account=account, channel="email", amount=20)
    send(api, "a@example.com")
    Price.objects.filter(account=account, channel="email").update(amount=30)
    send(api, "b@example.com")
    assert last_charge() == 30


# --- webhook endpoints ----------------------------------------------------------------------


def deliveries_of_last_send(account) -> int:
    event = Event.objects.filter(account=account, type="session.created").order_by("-created_at").first()
    return WebhookDelivery.objects.filter(event=event).count() if event else 0


def endpoint_behind_the_cache(account, **fields) -> WebhookEndpoint:
    # bulk_create sends no post_save: what a create in another process looks like to this one.
    endpoint = WebhookEndpoint(account=account, url="http://127.0.0.1:9/x", events=["session.created"],
                               secret_sealed=secret_seal("s" * 32), **fields)
    WebhookEndpoint.objects.bulk_create([endpoint])
    return endpoint


def test_an_endpoint_made_changed_or_deleted_through_the_api_counts_from_the_very_next_send(api, account):
    send(api, "a@example.com")  # caches "nobody listens"
    made = api.post(WEBHOOKS, {"url": "http://127.0.0.1:9/x", "events": ["session.created"]})
    assert made.status_code == 201, made.json()
    path = f"{WEBHOOKS}/{made.json()['data']['id']}"
    send(api, "b@example.com")
    assert deliveries_of_last_send(account) == 1
    assert api.patch(path, {"is_active": False}).status_code == 200
    send(api, "c@example.com")
    assert WebhookDelivery.objects.count() == 1  # none for the disabled endpoint
    assert api.patch(path, {"is_active": True}).status_code == 200
    send(api, "d@example.com")
    assert WebhookDelivery.objects.count() == 2
    assert api.delete(path).status_code == 204
    send(api, "e@example.com")
    assert not WebhookDelivery.objects.exists() and not WebhookEndpoint.objects.exists()


def test_an_endpoint_made_behind_the_cache_gets_events_once_the_ttl_passes(api, account, cache_clock):
    send(api, "a@example.com")
    endpoint_behind_the_cache(account)
    send(api, "b@example.com")
    assert not Event.objects.exists()  # the documented delay: events meanwhile are not written
    cache_clock.advance(TTL)
    send(api, "c@example.com")
    assert deliveries_of_last_send(account) == 1


def test_with_a_ttl_of_zero_an_endpoint_made_behind_the_cache_gets_the_next_event(api, account, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    send(api, "a@example.com")
    endpoint_behind_the_cache(account)
    send(api, "b@example.com")
    assert deliveries_of_last_send(account) == 1


def test_an_endpoint_disabled_behind_the_cache_gets_no_delivery_even_while_cached(api, account, cache_clock):
    endpoint = endpoint_behind_the_cache(account)
    send(api, "a@example.com")
    assert deliveries_of_last_send(account) == 1
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)  # another process
    send(api, "b@example.com")  # the cache says it listens; the send reads again before writing
    assert WebhookDelivery.objects.count() == Event.objects.count() == 1  # nothing written for it


def test_an_endpoint_deleted_behind_the_cache_does_not_fail_the_send(api, account):
    endpoint = endpoint_behind_the_cache(account)
    cached, _ = endpoints_active_cached(account_ids=[account.pk])  # cached, before any delivery exists
    assert [e.pk for e in cached[str(account.pk)]] == [endpoint.pk]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM events_webhookendpoint WHERE id = %s", [endpoint.pk])  # no signal
        # Checked now, not at the commit a test never reaches: a delivery for the deleted endpoint
        # would raise here, and a real send would fail at its commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    send(api, "a@example.com")
    assert not WebhookDelivery.objects.exists()
