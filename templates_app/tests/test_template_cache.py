"""The active templates of an (account, key), cached in the process for every delivery
(templates_app.selectors.template_active_for): saved, deactivated or activated through the
services they serve from the very next delivery (deactivate and activate use QuerySet.update(),
so they drop the cache themselves); changed behind the cache's back (another process) within
API_KEY_CACHE_SECONDS."""
import pytest

from accounts.services import account_create
from templates_app import selectors
from templates_app.messages import template_message_render
from templates_app.models import OTPTemplate
from templates_app.services import template_deactivate, template_save, template_version_activate

pytestmark = pytest.mark.django_db
CODE = "48151623"
TTL = 5


@pytest.fixture(autouse=True)
def _ttl(settings):
    settings.API_KEY_CACHE_SECONDS = TTL


@pytest.fixture
def account():
    return account_create(name="Acme").account


def save(account, body, locale="", **fields):
    return template_save(account=account, key="otp_sms", locale=locale, fields={"body": body, **fields},
                         created_by="test")


def body(account, locale=""):
    return template_message_render(account_id=account.pk, account=account, channel="sms", code=CODE,
                                   expiry_minutes=10, app_name="Acme", locale=locale).body


def test_a_second_delivery_reads_no_template_whatever_its_locale(account, django_assert_num_queries):
    save(account, "fr {{ otp }}", locale="fr")
    save(account, "any {{ otp }}")
    with django_assert_num_queries(1):  # every active locale of the key, at once
        assert body(account, "fr") == f"fr {CODE}"
    with django_assert_num_queries(0):
        assert body(account, "fr") == f"fr {CODE}"
        assert body(account, "xx") == f"any {CODE}"  # a locale not asked before: from the same load


def test_saves_deactivations_and_activations_through_the_services_serve_from_the_next_delivery(account):
    assert CODE in body(account)  # the built-in default, cached as "no custom template"
    save(account, "v1 {{ otp }}")
    assert body(account) == f"v1 {CODE}"
    save(account, "v2 {{ otp }}")
    assert body(account) == f"v2 {CODE}"
    save(account, "draft {{ otp }}", is_active=False)
    assert body(account) == f"v2 {CODE}"
    template_version_activate(account=account, key="otp_sms", locale="", version=1)
    assert body(account) == f"v1 {CODE}"
    template_deactivate(account=account, key="otp_sms", locale="")
    assert not body(account).startswith("v")


def test_the_admins_activate_and_deactivate_buttons_serve_from_the_next_delivery(account, admin_client):
    first = save(account, "v1 {{ otp }}")
    save(account, "v2 {{ otp }}")
    assert body(account) == f"v2 {CODE}"
    admin_client.post(f"/admin/templates_app/otptemplate/{first.pk}/activate/")
    assert body(account) == f"v1 {CODE}"
    admin_client.post(f"/admin/templates_app/otptemplate/{first.pk}/deactivate/")
    assert not body(account).startswith("v")


def test_a_template_changed_behind_the_cache_serves_once_the_ttl_passes(account, cache_clock):
    row = save(account, "old {{ otp }}")
    assert body(account) == f"old {CODE}"
    OTPTemplate.objects.filter(pk=row.pk).update(body="new {{ otp }}")  # no signal: another process
    assert body(account) == f"old {CODE}"  # the documented delay
    cache_clock.advance(TTL)
    assert body(account) == f"new {CODE}"


def test_with_a_ttl_of_zero_a_template_changed_behind_the_cache_serves_at_once(account, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    row = save(account, "old {{ otp }}")
    assert body(account) == f"old {CODE}"
    OTPTemplate.objects.filter(pk=row.pk).update(body="new {{ otp }}")
    assert body(account) == f"new {CODE}"


def test_each_delivery_gets_its_own_copy(account):
    save(account, "mine {{ otp }}")
    first = selectors.template_active_for(account_id=account.pk, key="otp_sms", locales=[""])[""]
    first.body = "changed by one delivery"
    assert selectors.template_active_for(account_id=account.pk, key="otp_sms", locales=[""])[""].body == "mine {{ otp }}"


def test_more_active_locales_than_the_bound_are_read_per_delivery(account, django_assert_num_queries):
    OTPTemplate.objects.bulk_create([
        OTPTemplate(account=account, key="otp_sms", locale=f"x-{n:03d}", version=1, body=f"{n} {{{{ otp }}}}",
                    is_active=True)
        for n in range(selectors.CACHED_MAX)
    ] + [OTPTemplate(account=account, key="otp_sms", locale="fr", version=1, body="fr {{ otp }}", is_active=True)])
    with django_assert_num_queries(2):  # the load that finds too many, then the delivery's own read
        assert body(account, "fr") == f"fr {CODE}"
    with django_assert_num_queries(1):
        assert body(account, "fr") == f"fr {CODE}"
