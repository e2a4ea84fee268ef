"""The templates API through the test client: every endpoint, and every error in the envelope."""
import pytest

pytestmark = pytest.mark.django_db
BASE = "/api/v1/otp/templates"
SMS = {"key": "otp_sms", "body": "{{ otp }} is your {{ app_name }} code"}


def error_of(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code == body["code"]
    return body["error"]


def test_create_then_list_retrieve_and_versions(api):
    created = api.post(BASE, {**SMS, "locale": "pt_br"})
    assert created.status_code == 201
    data = created.json()["data"]
    assert (data["key"], data["locale"], data["version"], data["is_active"]) == ("otp_sms", "pt-BR", 1, True)
    assert data["created_by"].startswith("api:sk_live_") and data["created_at"].endswith("Z")
    assert api.post(BASE, {**SMS, "locale": "pt-BR", "body": "v2 {{ otp }}"}).json()["data"]["version"] == 2
    listed = api.get(BASE).json()["data"]
    assert [(t["locale"], t["version"]) for t in listed] == [("pt-BR", 2)]
    assert api.get(BASE, {"locale": "en"}).json()["data"] == []
    assert api.get(f"{BASE}/otp_sms", {"locale": "pt-BR"}).json()["data"]["body"] == "v2 {{ otp }}"
    versions = api.get(f"{BASE}/otp_sms/versions", {"locale": "pt-BR"}).json()["data"]
    assert [(v["version"], v["is_active"]) for v in versions] == [(2, True), (1, False)]


def test_put_saves_a_new_active_version_and_accepts_its_own_get_back(api):
    api.post(BASE, SMS)
    current = api.get(f"{BASE}/otp_sms").json()["data"]
    sent_back = {k: v for k, v in current.items() if k not in {"version", "created_at", "created_by"}}
    updated = api.put(f"{BASE}/otp_sms", {**sent_back, "body": "New {{ otp }}"})
    assert updated.status_code == 200 and updated.json()["data"]["version"] == 2
    error_of(api.put(f"{BASE}/otp_sms", {**sent_back, "locale": "fr"}), 400, "invalid_request")
    error_of(api.put(f"{BASE}/otp_sms", {"body": "{{ otp }}"}, QUERY_STRING="locale=de"), 404, "template_not_found")


def test_delete_deactivates_and_activate_brings_a_version_back(api):
    api.post(BASE, SMS)
    api.post(BASE, {**SMS, "body": "second {{ otp }}"})
    assert api.delete(f"{BASE}/otp_sms").status_code == 204
    error_of(api.get(f"{BASE}/otp_sms"), 404, "template_not_found")
    error_of(api.delete(f"{BASE}/otp_sms"), 404, "template_not_found")
    activated = api.post(f"{BASE}/otp_sms/versions/1/activate")
    assert activated.status_code == 200 and activated.json()["data"]["is_active"] is True
    assert api.get(f"{BASE}/otp_sms").json()["data"]["version"] == 1
    error_of(api.post(f"{BASE}/otp_sms/versions/9/activate"), 404, "template_not_found")


def test_an_inactive_save_keeps_the_active_version(api):
    api.post(BASE, SMS)
    draft = api.post(BASE, {**SMS, "body": "draft {{ otp }}", "is_active": False}).json()["data"]
    assert (draft["version"], draft["is_active"]) == (2, False)
    assert api.get(f"{BASE}/otp_sms").json()["data"]["version"] == 1


@pytest.mark.parametrize(("fields", "field", "line"), [
    ({"body": "no code"}, "body", None),
    ({"body": "{{ otp }}\n{% include 'x' %}"}, "body", 2),
    ({"body": "{{ otp }}\n\n{{ settings.SECRET_KEY }}"}, "body", 3),
    ({"body": "{{ otp }}", "subject": "x"}, "subject", None),
])
def test_invalid_templates_are_400_with_field_and_line(api, fields, field, line):
    error = error_of(api.post(BASE, {"key": "otp_sms", **fields}), 400, "invalid_template")
    assert error["details"]["field"] == field and error["details"]["line"] == line


def test_email_html_is_checked_too(api):
    error = error_of(api.post(BASE, {"key": "otp_email", "body": "{{ otp }}", "html": "<p>{{ otp|safe }}</p>"}),
                     400, "invalid_template")
    assert error["details"]["field"] == "html"


def test_shape_errors_are_invalid_request(api):
    for body in ({**SMS, "bdy": "x"}, {**SMS, "key": "otp_push"}, {**SMS, "locale": "not a locale"},
                 {"key": "otp_sms"}, {**SMS, "registered": "yes"}, {**SMS, "body": 5}):
        error_of(api.post(BASE, body), 400, "invalid_request")
    error_of(api.get(BASE, {"locael": "en"}), 400, "invalid_request")
    error_of(api.post(BASE, b"{", content_type="application/json"), 400, "invalid_json")


def test_registered_templates_cannot_be_edited_only_deactivated(api):
    api.post(BASE, {**SMS, "registered": True, "body": "{{ otp }} is your OTP. -ACME"})
    error_of(api.put(f"{BASE}/otp_sms", {"body": "{{ otp }} edited"}), 409, "template_registered")
    error_of(api.post(BASE, {**SMS, "body": "{{ otp }} edited"}), 409, "template_registered")
    assert api.delete(f"{BASE}/otp_sms").status_code == 204
    assert api.post(BASE, SMS).status_code == 201


def test_preview_of_unsaved_saved_and_default_templates(api, account):
    unsaved = api.post(f"{BASE}/otp_sms/preview", {"template": {"body": "{{ otp }} for {{ metadata.who }} ✓"},
                                                   "metadata": {"who": "Ada"}})
    assert unsaved.status_code == 200
    assert unsaved.json()["data"] | {"template": None} == {
        "subject": "", "body": "123456 for Ada ✓", "html": "", "length": 16, "encoding": "UCS-2", "segments": 1,
        "template": None,
    }
    default = api.post(f"{BASE}/otp_sms/preview", {}, QUERY_STRING="locale=ja").json()["data"]
    assert default["template"] == {"source": "default", "key": "otp_sms", "locale": "ja", "version": None}
    assert default["encoding"] == "UCS-2" and default["segments"] == 1
    api.post(BASE, {**SMS, "body": "{{ otp }} " + "x" * 200})
    saved = api.post(f"{BASE}/otp_sms/preview", {}).json()["data"]
    assert (saved["template"]["source"], saved["encoding"], saved["segments"]) == ("custom", "GSM-7", 2)
    email = api.post(f"{BASE}/otp_email/preview", {"locale": "de"}).json()["data"]
    assert email["subject"].startswith("Ihr Bestätigungscode") and "123456" in email["html"]
    error = error_of(api.post(f"{BASE}/otp_sms/preview", {"template": {"body": "{% debug %}{{ otp }}"}}),
                     400, "invalid_template")
    assert error["details"]["line"] == 1
    error_of(api.post(f"{BASE}/otp_sms/preview", {"metadata": {"a": "x" * 5000}}), 400, "invalid_request")


def test_preview_shows_the_autofill_lines_of_the_account(api, account):
    account.webotp_domain = "example.com"
    account.save()
    body = api.post(f"{BASE}/otp_sms/preview", {}).json()["data"]["body"]
    assert body.endswith("\n\n@example.com #123456")


def test_locales_lists_the_builtins_and_is_not_taken_for_a_key(api):
    data = api.get(f"{BASE}/locales").json()["data"]
    assert len(data) >= 30 and {"locale": "ar", "name": "العربية", "dir": "rtl"} in data
    assert api.get(f"{BASE}/locales/").status_code == 200


def test_unknown_keys_are_404(api):
    error_of(api.get(f"{BASE}/otp_push"), 404, "template_not_found")
    error_of(api.post(f"{BASE}/otp_push/preview", {}), 404, "template_not_found")


def test_accounts_see_only_their_own_templates(api, other_api):
    api.post(BASE, SMS)
    assert other_api.get(BASE).json()["data"] == []
    error_of(other_api.get(f"{BASE}/otp_sms"), 404, "template_not_found")
    error_of(other_api.delete(f"{BASE}/otp_sms"), 404, "template_not_found")


def test_test_keys_read_and_preview_but_do_not_change_templates(api, sandbox_api):
    api.post(BASE, SMS)
    assert sandbox_api.get(BASE).status_code == 200
    assert sandbox_api.get(f"{BASE}/otp_sms/versions").status_code == 200
    assert sandbox_api.post(f"{BASE}/otp_sms/preview", {}).status_code == 200
    error_of(sandbox_api.post(BASE, SMS), 403, "permission_denied")
    error_of(sandbox_api.put(f"{BASE}/otp_sms", {"body": "{{ otp }}"}), 403, "permission_denied")
    error_of(sandbox_api.delete(f"{BASE}/otp_sms"), 403, "permission_denied")
    error_of(sandbox_api.post(f"{BASE}/otp_sms/versions/1/activate"), 403, "permission_denied")


def test_no_key_is_401_and_wrong_methods_405(api, client):
    error_of(client.get(BASE), 401, "authentication_failed")
    error_of(api.patch(f"{BASE}/otp_sms", {}), 405, "method_not_allowed")
    error_of(api.delete(BASE), 405, "method_not_allowed")


def test_the_schema_documents_every_template_endpoint(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"] if schema["Content-Type"].endswith("json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    for path in ("/api/v1/otp/templates", "/api/v1/otp/templates/locales", "/api/v1/otp/templates/{key}",
                 "/api/v1/otp/templates/{key}/versions", "/api/v1/otp/templates/{key}/versions/{version}/activate",
                 "/api/v1/otp/templates/{key}/preview"):
        assert path in paths, path


@pytest.mark.parametrize("body", [
    "{{ otp|wordwrap:0 }}", "{{ otp|join:'xxxxxxxxxxxxxxxxxxxx'|join:'xxxxxxxxxxxxxxxxxxxx'|join:'xxxxxxxxxxxxxxxxxxxx'|join:'xxxxxxxxxxxxxxxxxxxx' }}",
    "{{ otp }}{% filter %}x{% endfilter %}", "{{ otp }}" + "{% if 1 %}" * 500 + "{% endif %}" * 500,
])
def test_preview_of_a_template_the_engine_cannot_render_is_a_400(api, body):
    error_of(api.post(f"{BASE}/otp_sms/preview", {"template": {"body": body}}), 400, "invalid_template")
