"""Contract with the Sendmator Node SDK (@sendmator/node 0.0.3, src/resources/contacts.ts and
src/types/index.ts of github.com/sendmator/sendmator-node): each request exactly as the SDK sends
it (axios: JSON.stringify bodies, URLSearchParams queries, base URL http://HOST/api), and the
fields its types read. Push device tokens are not offered: updateDeviceToken gets a clear 404."""
import json
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BASE = "/api"  # the SDK's baseURL; its paths start with /v1
CATEGORIES = {"transactional", "promotional", "utility", "conversational", "marketing", "service", "system"}


class Sdk:
    """The SDK's HttpClient: X-API-Key, JSON content type, its User-Agent; no body when data is undefined."""

    def __init__(self, key: str):
        self.client = Client()
        self.headers = {"HTTP_X_API_KEY": key, "HTTP_USER_AGENT": "sendmator-node/1.0.0"}

    def __call__(self, method: str, path: str, data=None, *, content_type="application/json"):
        raw = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
        response = self.client.generic(method, BASE + path, raw, content_type=content_type, **self.headers)
        assert response["Content-Type"].startswith("application/json")
        return response.status_code, response.json()


@pytest.fixture
def sdk(account_keys):
    return Sdk(account_keys.live_key)


def assert_contact(contact: dict) -> None:
    """What the SDK's `Contact` interface reads: id, email, names, phone, tags, custom_fields, preferences."""
    assert isinstance(contact["id"], str)
    assert contact["email"] is None or isinstance(contact["email"], str)
    for name in ("first_name", "last_name", "phone"):
        assert contact[name] is None or isinstance(contact[name], str)
    assert isinstance(contact["tags"], list) and all(isinstance(tag, str) for tag in contact["tags"])
    assert isinstance(contact["custom_fields"], dict)
    assert set(contact["preferences"]) == {"email", "sms", "whatsapp", "push"}
    for values in contact["preferences"].values():
        assert set(values) == CATEGORIES and all(isinstance(value, bool) for value in values.values())


def assert_contact_response(status: int, body: dict, expected_status: int = 200) -> dict:
    """SendmatorResponse<Contact>: success and data."""
    assert status == expected_status, body
    assert body["success"] is True
    assert_contact(body["data"])
    return body["data"]


def test_every_contacts_method_of_the_sdk(sdk, account):
    # create(data)
    created = assert_contact_response(*sdk("POST", "/v1/contacts", {
        "email": "user@example.com", "first_name": "John", "last_name": "Doe",
        "tags": ["customer", "premium"], "custom_fields": {"plan": "pro"},
    }), 201)
    assert (created["first_name"], created["tags"], created["custom_fields"]) == ("John", ["customer", "premium"], {"plan": "pro"})
    contact_id = created["id"]
    # the CreateContactRequest's other fields
    full = assert_contact_response(*sdk("POST", "/v1/contacts", {
        "external_id": "CRM-001", "email": "jane@example.com", "first_name": "Jane", "last_name": "Roe",
        "phone": "+14155552671", "tags": ["vip"], "is_active": True, "custom_fields": {}, "metadata": {"a": 1},
        "preferences": {"email": {"promotional": False}, "push": {"system": True}},
    }), 201)
    assert full["preferences"]["email"]["promotional"] is False

    # get(id), getByExternalId(externalId)
    assert assert_contact_response(*sdk("GET", f"/v1/contacts/{contact_id}"))["id"] == contact_id
    assert assert_contact_response(*sdk("GET", f"/v1/contacts/external/{quote('CRM-001', safe='')}"))["id"] == full["id"]

    # list(params): the SDK's URLSearchParams, in its order, tags joined by commas
    query = urlencode([
        ("page", "1"), ("limit", "20"), ("search", "john"), ("email", "user@example.com"), ("is_active", "true"),
        ("is_unsubscribed", "false"), ("sort_by", "created_at"), ("sort_order", "DESC"), ("tags", "premium,vip"),
    ])
    status, page = sdk("GET", f"/v1/contacts?{query}")
    assert status == 200 and page["success"] is True
    assert [contact["id"] for contact in page["data"]] == [contact_id]
    assert page["pagination"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    status, page = sdk("GET", "/v1/contacts")
    assert status == 200 and len(page["data"]) == 2
    for contact in page["data"]:
        assert_contact(contact)

    # update(id, data)
    updated = assert_contact_response(*sdk("PATCH", f"/v1/contacts/{contact_id}", {"first_name": "Jane", "tags": ["premium", "vip"]}))
    assert (updated["first_name"], updated["tags"]) == ("Jane", ["premium", "vip"])

    # bulkCreate(data): BulkCreateResult, top level
    status, result = sdk("POST", "/v1/contacts/bulk", {"contacts": [
        {"email": "user1@example.com", "first_name": "User", "last_name": "One"},
        {"email": "user2@example.com", "first_name": "User", "last_name": "Two"},
        {"email": "user@example.com"},
        {"email": "broken"},
    ]})
    assert status == 200, result
    assert [contact["email"] for contact in result["created"]] == ["user1@example.com", "user2@example.com"]
    for contact in result["created"]:
        assert_contact(contact)
    assert [(s["email"], isinstance(s["reason"], str)) for s in result["skipped"]] == [("user@example.com", True)]
    assert "external_id" in result["skipped"][0]
    assert [(e["email"], isinstance(e["error"], str)) for e in result["errors"]] == [("broken", True)]
    assert (result["user_id"], result["total_processed"]) == (str(account.id), 4)
    assert result["summary"] == {"created_count": 2, "skipped_count": 1, "error_count": 1}

    # unsubscribe(id): a POST without a body
    assert assert_contact_response(*sdk("POST", f"/v1/contacts/{contact_id}/unsubscribe"))["is_unsubscribed"] is True

    # addTags(id, tags), removeTags(id, tags): DELETE with a JSON body
    assert assert_contact_response(*sdk("POST", f"/v1/contacts/{contact_id}/tags", {"tags": ["premium", "early-adopter"]}))["tags"] == [
        "premium", "vip", "early-adopter",
    ]
    assert assert_contact_response(*sdk("DELETE", f"/v1/contacts/{contact_id}/tags", {"tags": ["trial", "vip"]}))["tags"] == [
        "premium", "early-adopter",
    ]

    # getPreferences(id): PreferenceSummary, top level
    status, summary = sdk("GET", f"/v1/contacts/{contact_id}/preferences")
    assert status == 200
    assert set(summary["preferences"]) == {"email", "sms", "whatsapp", "push"}
    for name in ("totalPreferences", "subscribedCount", "unsubscribedCount"):
        assert isinstance(summary[name], int)
    assert isinstance(summary["subscriptionRate"], (int, float))

    # updatePreferences(id, data), updateSinglePreference(id, channel, category, data)
    prefs = assert_contact_response(*sdk("PATCH", f"/v1/contacts/{contact_id}/preferences", {"preferences": [
        {"channel": "email", "category": "promotional", "subscribed": False},
        {"channel": "sms", "category": "marketing", "subscribed": True},
    ]}))["preferences"]
    assert (prefs["email"]["promotional"], prefs["sms"]["marketing"]) == (False, True)
    prefs = assert_contact_response(*sdk("PATCH", f"/v1/contacts/{contact_id}/preferences/email/promotional", {"subscribed": True}))["preferences"]
    assert prefs["email"]["promotional"] is True

    # unsubscribeAll(id), unsubscribeChannel(id, channel), subscribeAll(id): no bodies
    prefs = assert_contact_response(*sdk("DELETE", f"/v1/contacts/{contact_id}/preferences"))["preferences"]
    assert not any(value for values in prefs.values() for value in values.values())
    assert_contact_response(*sdk("POST", f"/v1/contacts/{contact_id}/preferences/subscribe-all"))
    prefs = assert_contact_response(*sdk("DELETE", f"/v1/contacts/{contact_id}/preferences/email"))["preferences"]
    assert not any(prefs["email"].values()) and all(prefs["sms"].values())

    # delete(id), delete(id, true): SendmatorResponse<void>
    status, body = sdk("DELETE", f"/v1/contacts/{contact_id}")
    assert status == 200 and body["success"] is True and isinstance(body["message"], str)
    status, body = sdk("DELETE", f"/v1/contacts/{contact_id}?hard=true")
    assert status == 200 and body["success"] is True
    status, body = sdk("GET", f"/v1/contacts/{contact_id}")
    assert status == 404


def test_bodiless_posts_are_accepted_with_or_without_a_content_type(sdk):
    _, created = sdk("POST", "/v1/contacts", {"email": "user@example.com"})
    url = f"/v1/contacts/{created['data']['id']}"
    assert_contact_response(*sdk("POST", f"{url}/unsubscribe", content_type=""))
    assert_contact_response(*sdk("POST", f"{url}/preferences/subscribe-all", content_type=""))
    assert_contact_response(*sdk("POST", f"{url}/unsubscribe", {}))


def test_errors_carry_what_the_sdks_error_parser_reads(sdk):
    """SendmatorError(data.message || data.error, status, data.code, data.details)."""
    sdk("POST", "/v1/contacts", {"email": "user@example.com", "external_id": "CRM-001"})
    cases = [
        (sdk("POST", "/v1/contacts", {"email": "USER@example.com"}), 409, "contact_exists"),
        (sdk("GET", "/v1/contacts/external/nope"), 404, "contact_not_found"),
        (sdk("POST", "/v1/contacts", {"email": "x"}), 400, "invalid_request"),
        (sdk("PATCH", "/v1/contacts/external/CRM-001/device-token", {"fcm_token": "t"}), 404, "not_found"),
    ]
    for (status, body), expected_status, code in cases:
        assert status == expected_status, body
        assert isinstance(body["message"], str) and body["message"]
        assert body["code"] == code
        assert isinstance(body["details"], dict)


def test_a_test_key_gets_a_permission_error_the_sdk_can_read(account_keys):
    status, body = Sdk(account_keys.test_key)("GET", "/v1/contacts")
    assert status == 403
    assert (body["code"], body["message"].startswith("Permission denied")) == ("permission_denied", True)
