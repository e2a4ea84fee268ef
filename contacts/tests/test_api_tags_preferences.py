"""A contact's tags (add, remove) and preferences (summary, per channel, per category, all)."""
import pytest

from contacts.preferences import CATEGORIES, CHANNELS

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts"


@pytest.fixture
def url(api):
    response = api.post(CONTACTS, {"email": "ada@example.com", "tags": ["customer"]})
    assert response.status_code == 201
    return f"{CONTACTS}/{response.json()['data']['id']}"


def ok(response):
    assert response.status_code == 200, response.json()
    assert response.json()["success"] is True
    return response.json()


def test_tags_are_added_after_the_others_without_duplicates_and_removed(api, url):
    data = ok(api.post(f"{url}/tags", {"tags": ["premium", "customer", "early"]}))["data"]
    assert data["tags"] == ["customer", "premium", "early"]
    data = ok(api.delete(f"{url}/tags", {"tags": ["customer", "never-had"]}))["data"]
    assert data["tags"] == ["premium", "early"]
    assert ok(api.get(url))["data"]["tags"] == ["premium", "early"]


@pytest.mark.parametrize("payload", [{}, {"tags": []}, {"tags": "vip"}, {"tags": ["a,b"]}, {"tags": ["x"], "mode": "add"}])
def test_bad_tag_bodies_are_400(api, url, payload):
    response = api.post(f"{url}/tags", payload)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid_request"


def test_a_contact_has_at_most_50_tags(api, url):
    ok(api.post(f"{url}/tags", {"tags": [f"t{n}" for n in range(49)]}))
    response = api.post(f"{url}/tags", {"tags": ["one-more", "and-another"]})
    assert response.status_code == 400 and response.json()["details"]["field"] == "tags"
    assert len(ok(api.get(url))["data"]["tags"]) == 50  # customer and t0..t48


def test_the_summary_starts_all_subscribed(api, url):
    body = ok(api.get(f"{url}/preferences"))
    total = len(CHANNELS) * len(CATEGORIES)
    assert (body["totalPreferences"], body["subscribedCount"], body["unsubscribedCount"]) == (total, total, 0)
    assert body["subscriptionRate"] == 100
    assert body["preferences"] == {channel: dict.fromkeys(CATEGORIES, True) for channel in CHANNELS}
    assert body["data"] == {key: body[key] for key in body if key not in {"success", "data"}}


def test_preferences_change_by_list_by_category_by_channel_and_all(api, url):
    data = ok(api.patch(f"{url}/preferences", {"preferences": [
        {"channel": "email", "category": "promotional", "subscribed": False},
        {"channel": "sms", "category": "marketing", "subscribed": False},
    ]}))["data"]
    assert (data["preferences"]["email"]["promotional"], data["preferences"]["sms"]["marketing"]) == (False, False)
    summary = ok(api.get(f"{url}/preferences"))
    assert (summary["subscribedCount"], summary["subscriptionRate"]) == (26, 92.86)

    data = ok(api.patch(f"{url}/preferences/email/promotional", {"subscribed": True}))["data"]
    assert data["preferences"]["email"]["promotional"] is True

    data = ok(api.delete(f"{url}/preferences/whatsapp"))["data"]
    assert data["preferences"]["whatsapp"] == dict.fromkeys(CATEGORIES, False)
    assert data["preferences"]["email"] == dict.fromkeys(CATEGORIES, True)
    channel = ok(api.get(f"{url}/preferences/whatsapp"))
    assert (channel["channel"], channel["preferences"]) == ("whatsapp", dict.fromkeys(CATEGORIES, False))
    assert channel["data"]["contact_id"] == url.rsplit("/", 1)[1]

    data = ok(api.patch(f"{url}/preferences/whatsapp", {"utility": True}))["data"]
    assert data["preferences"]["whatsapp"]["utility"] is True and data["preferences"]["whatsapp"]["system"] is False
    data = ok(api.patch(f"{url}/preferences/push", {"subscribed": False}))["data"]
    assert data["preferences"]["push"] == dict.fromkeys(CATEGORIES, False)

    ok(api.post(f"{url}/unsubscribe"))
    data = ok(api.delete(f"{url}/preferences"))["data"]
    assert all(not value for values in data["preferences"].values() for value in values.values())
    assert ok(api.get(f"{url}/preferences"))["subscriptionRate"] == 0
    data = ok(api.post(f"{url}/preferences/subscribe-all"))["data"]
    assert all(value for values in data["preferences"].values() for value in values.values())
    assert data["is_unsubscribed"] is False


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("patch", "/preferences/fax/promotional", {"subscribed": False}, "channel"),
        ("patch", "/preferences/email/spam", {"subscribed": False}, "category"),
        ("patch", "/preferences/email/promotional", {"subscribed": "no"}, "subscribed"),
        ("patch", "/preferences/email/promotional", {}, "subscribed"),
        ("patch", "/preferences/email", {}, "non_field_errors"),
        ("patch", "/preferences/email", {"subscribed": True, "utility": False}, "subscribed"),
        ("patch", "/preferences/email", {"spam": False}, "spam"),
        ("get", "/preferences/fax", None, "channel"),
        ("delete", "/preferences/fax", None, "channel"),
        ("patch", "/preferences", {"preferences": []}, "preferences"),
        ("patch", "/preferences", {"preferences": [{"channel": "email", "category": "promotional"}]}, "preferences.0.subscribed"),
        ("patch", "/preferences", {"preferences": [{"channel": "fax", "category": "promotional", "subscribed": True}]}, "preferences.0.channel"),
        ("post", "/preferences/subscribe-all", {"force": True}, "force"),
    ],
)
def test_bad_preference_requests_are_400(api, url, method, path, payload, field):
    call = getattr(api, method)
    response = call(f"{url}{path}", payload) if payload is not None else call(f"{url}{path}")
    assert response.status_code == 400, response.json()
    assert response.json()["details"]["field"] == field
