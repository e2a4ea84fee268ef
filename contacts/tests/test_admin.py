"""Contacts in admin: the new fields listed, search by email, phone or external id, filters."""
import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact, ContactTag

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(account):
    ada = Contact.objects.create(
        account=account, email="Ada@Example.com", phone="+14155552671", external_id="CRM-ADA",
        first_name="Ada", last_name="Lovelace", email_verified_at=timezone.now(),
    )
    ContactTag.objects.create(contact=ada, name="vip")
    bob = Contact.objects.create(account=account, email="bob@example.com", is_active=False, is_unsubscribed=True)
    return ada, bob


def listed(admin_client, query=""):
    response = admin_client.get(reverse("admin:contacts_contact_changelist") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_changelist_shows_the_new_fields(admin_client, contacts):
    html = listed(admin_client)
    for text in ("CRM-ADA", "Lovelace", "vip", "bob@example.com", "External id", "Phone verified at"):
        assert text in html, text


@pytest.mark.parametrize(
    ("query", "found", "absent"),
    [
        ("?q=CRM-ADA", "CRM-ADA", "bob@example.com"),
        ("?q=%2B14155552671", "CRM-ADA", "bob@example.com"),
        ("?q=ada%40example.com", "CRM-ADA", "bob@example.com"),
        ("?is_active__exact=0", "bob@example.com", "CRM-ADA"),
        ("?is_unsubscribed__exact=1", "bob@example.com", "CRM-ADA"),
        ("?verified=email", "CRM-ADA", "bob@example.com"),
    ],
)
def test_search_and_filters(admin_client, contacts, query, found, absent):
    html = listed(admin_client, query)
    assert found in html and absent not in html


def test_the_change_page_shows_every_field(admin_client, contacts):
    ada, _ = contacts
    response = admin_client.get(reverse("admin:contacts_contact_change", args=[ada.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("external_id", "first_name", "custom_fields", "metadata", "preferences", "is_unsubscribed"):
        assert f'name="{name}"' in html, name
    assert 'name="phone_verified_at_0"' in html  # date and time inputs
    assert "vip" in html
