"""Bulk create: every entry on its own; duplicates skipped, bad entries reported, the rest created."""
import pytest

from contacts.models import Contact

pytestmark = pytest.mark.django_db

BULK = "/api/v1/contacts/bulk"


def test_partial_failures_are_reported_and_the_rest_created(api, account):
    existing = api.post("/api/v1/contacts", {"email": "old@example.com", "external_id": "E-1"}).json()["data"]
    entries = [
        {"email": "ada@example.com", "first_name": "Ada", "tags": ["import"]},
        {"email": "not-an-email"},
        {"email": "OLD@example.com"},
        {"email": "bob@example.com", "external_id": "E-1"},
        {"email": "Ada@Example.com"},
        {"email": "cy@example.com", "colour": "blue"},
        {"phone": "+14155552671"},
    ]
    response = api.post(BULK, {"contacts": entries})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    assert [contact["email"] for contact in body["created"]] == ["ada@example.com", None]
    assert body["created"][0]["tags"] == ["import"] and body["created"][0]["first_name"] == "Ada"
    assert [(s["index"], s["email"], s["field"]) for s in body["skipped"]] == [
        (2, "OLD@example.com", "email"), (3, "bob@example.com", "external_id"), (4, "Ada@example.com", "email"),
    ]
    assert body["skipped"][0]["contact_id"] == existing["id"]
    assert body["skipped"][2]["contact_id"] == body["created"][0]["id"]
    assert all(s["reason"].startswith("Contact exists") for s in body["skipped"])
    assert [(e["index"], e["email"], e["field"]) for e in body["errors"]] == [
        (1, "not-an-email", "email"), (5, "cy@example.com", "colour"),
    ]
    assert body["errors"][1]["error"] == "colour: Unknown field."
    assert (body["user_id"], body["total_processed"]) == (str(account.id), 7)
    assert body["summary"] == {"created_count": 2, "skipped_count": 3, "error_count": 2}
    assert body["data"] == {key: body[key] for key in body if key not in {"success", "data"}}
    assert Contact.objects.count() == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "contacts"),
        ({"contacts": []}, "contacts"),
        ({"contacts": {"email": "a@example.com"}}, "contacts"),
        ({"contacts": ["a@example.com"]}, "contacts.0"),
        ({"contacts": [{"email": "a@example.com"}], "dry_run": True}, "dry_run"),
        ({"contacts": [{"email": f"u{n}@example.com"} for n in range(1001)]}, "contacts"),
    ],
)
def test_a_malformed_bulk_request_is_400_and_creates_nothing(api, payload, field):
    response = api.post(BULK, payload)
    assert response.status_code in (400, 413), response.content
    if response.status_code == 400:
        assert response.json()["details"]["field"] == field
    assert not Contact.objects.exists()


def test_a_bulk_of_only_duplicates_creates_nothing_and_says_so(api):
    api.post("/api/v1/contacts", {"email": "ada@example.com"})
    body = api.post(BULK, {"contacts": [{"email": "ada@example.com"}]}).json()
    assert body["summary"] == {"created_count": 0, "skipped_count": 1, "error_count": 0}
    assert body["created"] == []
