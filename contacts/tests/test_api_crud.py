"""Contacts API: create, get (by id and external id), update, delete, unsubscribe, and their errors."""
import pytest

from contacts.models import Contact

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts"
PHONE, OTHER_PHONE = "+14155552671", "+447911123456"


def create(api, **fields):
    response = api.post(CONTACTS, {"email": "ada@example.com", **fields})
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["success"], body["code"], body["error"]["code"]) == (False, code, code)
    assert body["message"] == body["error"]["message"]
    if field is not None:
        assert body["details"]["field"] == field, body
    return body


def test_create_answers_201_with_every_field(api, account):
    data = create(
        api, email="Ada@Example.COM", phone=PHONE, external_id="CRM-001", first_name="Ada", last_name="Lovelace",
        tags=["customer", "premium", "customer"], custom_fields={"plan": "pro"}, metadata={"source": "import"},
        preferences={"email": {"promotional": False}},
    )
    contact = Contact.objects.get()
    assert (contact.account, contact.email, contact.email_key) == (account, "Ada@example.com", "ada@example.com")
    assert data["id"] == str(contact.id)
    assert (data["email"], data["phone"], data["external_id"]) == ("Ada@example.com", PHONE, "CRM-001")
    assert (data["first_name"], data["last_name"], data["tags"]) == ("Ada", "Lovelace", ["customer", "premium"])
    assert (data["custom_fields"], data["metadata"]) == ({"plan": "pro"}, {"source": "import"})
    assert data["preferences"]["email"]["promotional"] is False
    assert data["preferences"]["email"]["transactional"] is True
    assert data["preferences"]["push"] == dict.fromkeys(data["preferences"]["push"], True)
    assert (data["is_active"], data["is_unsubscribed"]) == (True, False)
    assert (data["email_verified"], data["phone_verified"], data["whatsapp_verified"]) == (False, False, False)
    assert (data["email_verified_at"], data["verified_channels"]) == (None, [])


def test_a_contact_with_only_a_phone_is_created(api):
    data = create(api, email=None, phone=PHONE)
    assert (data["email"], data["phone"], data["first_name"]) == (None, PHONE, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"first_name": "Ada"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@example.com", "phone": "+1234567890"}, "phone"),
        ({"email": "ada@example.com", "phone": "4155552671"}, "phone"),
        ({"email": "ada@example.com", "emial": "x"}, "emial"),
        ({"email": "ada@example.com", "tags": "vip"}, "tags"),
        ({"email": "ada@example.com", "tags": ["a,b"]}, "tags.0"),
        ({"email": "ada@example.com", "tags": [""]}, "tags.0"),
        ({"email": "ada@example.com", "tags": ["x" * 65]}, "tags.0"),
        ({"email": "ada@example.com", "tags": [f"t{n}" for n in range(51)]}, "tags"),
        ({"email": "ada@example.com", "is_active": "true"}, "is_active"),
        ({"email": "ada@example.com", "custom_fields": ["x"]}, "custom_fields"),
        ({"email": "ada@example.com", "metadata": {"x": "y" * 5000}}, "metadata"),
        ({"email": "ada@example.com", "preferences": {"fax": {}}}, "preferences.fax"),
        ({"email": "ada@example.com", "preferences": {"email": {"promotional": "no"}}}, "preferences.email.promotional"),
        ({"email": "ada@example.com", "external_id": ""}, "external_id"),
        ({"email": "ada@example.com", "first_name": 7}, "first_name"),
    ],
)
def test_create_refuses_bad_fields_with_400_naming_the_field(api, body, field):
    assert_error(api.post(CONTACTS, body), 400, "invalid_request", field)
    assert not Contact.objects.exists()


def test_create_refuses_a_body_that_is_not_an_object(api):
    assert_error(api.post(CONTACTS, ["ada@example.com"]), 400, "invalid_request")
    response = api.generic("POST", CONTACTS, "{nope", content_type="application/json")
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    ("second", "field"),
    [
        ({"email": "ADA@example.com"}, "email"),
        ({"email": "bob@example.com", "phone": PHONE}, "phone"),
        ({"email": "bob@example.com", "external_id": "CRM-001"}, "external_id"),
    ],
)
def test_a_duplicate_email_phone_or_external_id_is_409_contact_exists(api, second, field):
    first = create(api, phone=PHONE, external_id="CRM-001")
    body = assert_error(api.post(CONTACTS, second), 409, "contact_exists", field)
    assert body["details"]["contact_id"] == first["id"]
    assert Contact.objects.count() == 1


def test_gmail_spellings_are_one_email(api):
    create(api, email="ada.lovelace+shop@gmail.com")
    assert_error(api.post(CONTACTS, {"email": "AdaLovelace@googlemail.com"}), 409, "contact_exists", "email")


def test_the_same_email_in_another_account_is_another_contact(api, other_api):
    create(api)
    assert other_api.post(CONTACTS, {"email": "ada@example.com"}).status_code == 201


def test_get_and_get_by_external_id(api):
    data = create(api, external_id="CRM/7 ü")
    assert api.get(f"{CONTACTS}/{data['id']}").json()["data"] == data
    response = api.get(f"{CONTACTS}/external/CRM%2F7%20%C3%BC")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["id"] == data["id"]


@pytest.mark.parametrize("path", ["external/nope", "external/%00", "nope", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_contact_is_404(api, path):
    assert_error(api.get(f"{CONTACTS}/{path}"), 404, "contact_not_found")


def test_another_accounts_contact_is_404_everywhere(api, other_api):
    data = create(api, external_id="CRM-1")
    url = f"{CONTACTS}/{data['id']}"
    assert_error(other_api.get(url), 404, "contact_not_found")
    assert_error(other_api.get(f"{CONTACTS}/external/CRM-1"), 404, "contact_not_found")
    assert_error(other_api.patch(url, {"first_name": "Eve"}), 404, "contact_not_found")
    assert_error(other_api.delete(f"{url}?hard=true"), 404, "contact_not_found")
    assert_error(other_api.post(f"{url}/unsubscribe"), 404, "contact_not_found")
    assert_error(other_api.post(f"{url}/tags", {"tags": ["x"]}), 404, "contact_not_found")
    assert_error(other_api.get(f"{url}/preferences"), 404, "contact_not_found")
    assert Contact.objects.get().first_name == ""


def test_update_changes_only_the_given_fields(api):
    data = create(api, first_name="Ada", tags=["a", "b"], custom_fields={"plan": "pro"})
    response = api.patch(f"{CONTACTS}/{data['id']}", {"last_name": "Lovelace", "tags": ["c"], "metadata": {"k": 1}})
    assert response.status_code == 200, response.json()
    updated = response.json()["data"]
    assert (updated["first_name"], updated["last_name"], updated["tags"]) == ("Ada", "Lovelace", ["c"])
    assert (updated["custom_fields"], updated["metadata"]) == ({"plan": "pro"}, {"k": 1})
    assert updated["updated_at"] >= data["updated_at"]


def test_update_with_null_clears_and_refuses_to_leave_no_address(api):
    data = create(api, phone=PHONE, first_name="Ada", external_id="X")
    url = f"{CONTACTS}/{data['id']}"
    cleared = api.patch(url, {"first_name": None, "external_id": None, "email": None}).json()["data"]
    assert (cleared["first_name"], cleared["external_id"], cleared["email"], cleared["phone"]) == (None, None, None, PHONE)
    assert_error(api.patch(url, {"phone": None}), 400, "invalid_request", "email")
    assert Contact.objects.get().phone == PHONE


def test_update_to_another_contacts_email_is_409(api):
    create(api)
    bob = create(api, email="bob@example.com")
    assert_error(api.patch(f"{CONTACTS}/{bob['id']}", {"email": "Ada@Example.com"}), 409, "contact_exists", "email")
    assert_error(api.patch(f"{CONTACTS}/{bob['id']}", {"nickname": "b"}), 400, "invalid_request", "nickname")


def test_a_changed_address_loses_its_verified_stamp_and_another_spelling_keeps_it(api, account):
    from django.utils import timezone

    data = create(api, phone=PHONE)
    now = timezone.now()
    Contact.objects.update(email_verified_at=now, phone_verified_at=now, whatsapp_verified_at=now)
    url = f"{CONTACTS}/{data['id']}"
    same_inbox = api.patch(url, {"email": "ADA@example.com"}).json()["data"]
    assert (same_inbox["email"], same_inbox["email_verified"]) == ("ADA@example.com", True)
    moved = api.patch(url, {"email": "ada@elsewhere.example", "phone": OTHER_PHONE}).json()["data"]
    assert (moved["email_verified"], moved["phone_verified"], moved["whatsapp_verified"]) == (False, False, False)


def test_soft_delete_deactivates_and_hard_delete_removes(api):
    data = create(api, tags=["x"])
    url = f"{CONTACTS}/{data['id']}"
    soft = api.delete(url)
    assert soft.status_code == 200, soft.json()
    assert soft.json()["success"] is True and soft.json()["message"] == "Contact deactivated"
    assert soft.json()["data"]["is_active"] is False
    assert api.get(url).json()["data"]["is_active"] is False
    assert_error(api.post(CONTACTS, {"email": "ada@example.com"}), 409, "contact_exists", "email")
    assert api.patch(url, {"is_active": True}).json()["data"]["is_active"] is True
    hard = api.delete(f"{url}?hard=true")
    assert hard.status_code == 200 and hard.json() == {"success": True, "message": "Contact deleted", "data": None}
    assert not Contact.objects.exists()
    assert_error(api.get(url), 404, "contact_not_found")
    assert_error(api.delete(f"{url}?hard=maybe"), 400, "invalid_request", "hard")
    assert_error(api.delete(f"{url}?force=1"), 400, "invalid_request", "force")


def test_unsubscribe_marks_the_contact(api):
    data = create(api)
    response = api.post(f"{CONTACTS}/{data['id']}/unsubscribe")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["is_unsubscribed"] is True
    assert_error(api.post(f"{CONTACTS}/{data['id']}/unsubscribe", {"reason": "x"}), 400, "invalid_request", "reason")


def test_test_keys_are_refused_every_contacts_endpoint(sandbox_api, api):
    data = create(api)
    url = f"{CONTACTS}/{data['id']}"
    calls = [
        ("get", CONTACTS, None), ("post", CONTACTS, {"email": "bob@example.com"}),
        ("post", f"{CONTACTS}/bulk", {"contacts": [{"email": "bob@example.com"}]}),
        ("get", url, None), ("patch", url, {"first_name": "x"}), ("delete", url, None),
        ("get", f"{CONTACTS}/external/x", None), ("post", f"{url}/unsubscribe", None),
        ("post", f"{url}/tags", {"tags": ["x"]}), ("delete", f"{url}/tags", {"tags": ["x"]}),
        ("get", f"{url}/preferences", None), ("patch", f"{url}/preferences", {"preferences": []}),
        ("delete", f"{url}/preferences", None), ("post", f"{url}/preferences/subscribe-all", None),
        ("get", f"{url}/preferences/email", None), ("delete", f"{url}/preferences/email", None),
        ("patch", f"{url}/preferences/email/promotional", {"subscribed": False}),
    ]
    for method, path, payload in calls:
        response = getattr(sandbox_api, method)(path, payload) if payload else getattr(sandbox_api, method)(path)
        body = assert_error(response, 403, "permission_denied")
        assert body["error"]["type"] == "permission_error"
    assert Contact.objects.get().first_name == "" and Contact.objects.count() == 1


def test_unknown_methods_and_the_push_device_token_are_clear_errors(api):
    data = create(api)
    assert_error(api.put(f"{CONTACTS}/{data['id']}", {"first_name": "x"}), 405, "method_not_allowed")
    body = assert_error(api.patch(f"{CONTACTS}/external/user-1/device-token", {"fcm_token": "t"}), 404, "not_found")
    assert "push device tokens are not supported" in body["message"]
