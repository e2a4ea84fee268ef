"""Every filter and sort order of the contacts list is served by an index on PostgreSQL (the plan
is read with sequential scans discouraged, so a missing index shows as a Seq Scan)."""
import pytest
from django.db import connection

from accounts.services import account_create
from contacts import selectors
from contacts.models import Contact, ContactTag

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FILTERS = [
    ({"email": "ada@example.com"}, "contact_unique_email_key"),
    ({"phone": "+14155552671"}, "contact_unique_phone"),
    ({"external_id": "CRM-1"}, "contact_unique_external_id"),
    ({"tags": ["vip", "beta"]}, "contact_tag_name"),
    ({"is_active": False}, "contact_account_active"),
    ({"is_unsubscribed": True}, "contact_account_unsubscribed"),
    ({"sort_by": "created_at"}, "contact_account_created"),
    ({"sort_by": "updated_at", "sort_order": "ASC"}, "contact_account_updated"),
    ({"sort_by": "email"}, "contact_unique_email_key"),
    ({"sort_by": "email", "sort_order": "ASC"}, "contact_unique_email_key"),
    ({"sort_by": "first_name"}, "contact_account_first_name"),
    ({"sort_by": "last_name"}, "contact_account_last_name"),
]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(("filters", "index"), FILTERS)
def test_the_list_query_uses_an_index(filters, index, monkeypatch):
    # Enough rows, in several accounts, that reading them all and sorting costs more than an index.
    accounts = [account_create(name=f"Indexed {n}").account for n in range(4)]
    contacts = Contact.objects.bulk_create(
        [
            Contact(account=account, email=f"u{n}@example.com", first_name=f"F{n}", last_name=f"L{n}")
            for account in accounts
            for n in range(1500)
        ]
    )
    ContactTag.objects.bulk_create([ContactTag(contact=contact, name=f"tag{n % 300}") for n, contact in enumerate(contacts)])
    account = accounts[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact; ANALYZE contacts_contacttag")
    captured = {}

    def capture(queryset, *, page, limit):
        captured["queryset"] = queryset
        return None

    monkeypatch.setattr(selectors, "paginate", capture)
    selectors.contact_list(account=account, **filters)
    plan = _plan(captured["queryset"][:20])
    assert index in plan, plan
    assert "Seq Scan on contacts_contact " not in plan + " ", plan


def test_search_can_use_the_trigram_indexes():
    """The planner picks them over the account's index when the account is large; here, that they
    match the predicate Django writes (UPPER(col::text) LIKE UPPER('%…%'))."""
    plan = _plan(Contact.objects.filter(selectors.search_q("lovelace")).values("id"))
    for column in ("first_name", "last_name", "email"):
        assert f"contact_search_{column}_trgm" in plan, plan
