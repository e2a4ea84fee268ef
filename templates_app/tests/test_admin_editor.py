"""The admin template editor: the preview endpoint (the API's rendering), saves as new versions
through the services, registered text refused, re-activate and deactivate, permissions."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from templates_app.models import OTPTemplate
from templates_app.services import template_save

pytestmark = pytest.mark.django_db

SMS = {"body": "{{ otp }} is your code"}


def url(view, *args):
    return reverse(f"admin:templates_app_otptemplate_{view}", args=args)


def form(account, key="otp_sms", locale="", **fields):
    return {"account": account.pk if account else "", "key": key, "locale": locale, "is_active": "on", **fields}


def saved(account, key="otp_sms", locale="", **fields):
    return template_save(account=account, key=key, locale=locale, fields=fields or dict(SMS), created_by="test")


@pytest.fixture
def editor(django_user_model):
    """Staff in the `template editors` group with the standard templates_app permissions."""
    group, _ = Group.objects.get_or_create(name="template editors")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="templates_app", codename__in=["view_otptemplate", "add_otptemplate", "change_otptemplate"]
    ))
    user = django_user_model.objects.create_user(username="writer", password="pw", is_staff=True, email="writer@example.com")
    user.groups.add(group)
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def preview(client, data):
    response = client.post(url("preview"), data)
    return response.status_code, response.json()


def test_preview_counts_gsm7_and_ucs2_and_segments(editor_client, account):
    status, data = preview(editor_client, form(account, body="{{ otp }} is your code"))
    assert status == 200 and data["ok"]
    assert (data["body"], data["length"], data["encoding"], data["segments"]) == ("123456 is your code", 19, "GSM-7", 1)

    status, data = preview(editor_client, form(account, body="{{ otp }} is your code 🔐"))
    assert (data["encoding"], data["length"], data["segments"]) == ("UCS-2", 22, 1)

    filler = "x" * (160 - len("123456"))
    assert preview(editor_client, form(account, body="{{ otp }}" + filler))[1]["segments"] == 1
    assert preview(editor_client, form(account, body="{{ otp }}" + filler + "x"))[1]["segments"] == 2
    # The extension table counts double: 77 euro signs and the code are 160 septets, one more is two segments.
    data = preview(editor_client, form(account, body="{{ otp }}" + "€" * 77))[1]
    assert (data["encoding"], data["length"], data["segments"]) == ("GSM-7", 160, 1)
    assert preview(editor_client, form(account, body="{{ otp }}" + "€" * 78))[1]["segments"] == 2


def test_preview_reports_template_errors_with_their_field_and_line(editor_client, account):
    status, data = preview(editor_client, form(account, body="Hello\n{{ otp }}\n{{ settings.SECRET_KEY }}"))
    assert status == 400 and data["ok"] is False
    [problem] = data["errors"]
    assert (problem["field"], problem["line"]) == ("body", 3)
    assert "Unknown variable" in problem["message"]

    status, data = preview(editor_client, form(account, key="otp_email", subject="Code", body="{{ otp }}",
                                               html="<p>{{ otp }}</p>\n<p>{% load static %}</p>"))
    assert status == 400 and (data["errors"][0]["field"], data["errors"][0]["line"]) == ("html", 2)

    status, data = preview(editor_client, form(account, body="no code here"))
    assert status == 400 and data["errors"][0]["line"] is None and "{{ otp }}" in data["errors"][0]["message"]

    status, data = preview(editor_client, form(account, key="otp_whatsapp", body="{{ otp }}", content_sid="HX" + "a" * 32,
                                               content_variables="{1: otp}"))
    assert status == 400 and data["errors"][0]["field"] == "content_variables"


def test_preview_renders_email_parts_html_escaped_with_sample_metadata(editor_client, account):
    status, data = preview(editor_client, form(
        account, key="otp_email", subject="{{ otp }} for {{ metadata.name }}", body="Code {{ otp }}",
        html="<p>Hi {{ metadata.name }}, <b>{{ otp }}</b></p>", preview_metadata='{"name": "<Ada>"}',
        sender="ignored: not an email field",
    ))
    assert status == 200, data
    assert data["channel"] == "email"
    assert data["subject"] == "123456 for <Ada>"
    assert data["html"] == "<p>Hi &lt;Ada&gt;, <b>123456</b></p>"
    assert data["body"] == "Code 123456"


def test_preview_uses_the_accounts_autofill_and_works_before_an_account_is_chosen(editor_client, account):
    account.webotp_domain = "example.com"
    account.save(update_fields=["webotp_domain"])
    body = "{{ otp }} is your code\n\n{{ webotp_line }}"
    assert preview(editor_client, form(account, body=body))[1]["body"] == "123456 is your code\n\n@example.com #123456"
    assert preview(editor_client, form(None, body=body))[1]["body"] == "123456 is your code\n\n"


def test_add_saves_version_one_through_the_service(editor_client, editor, account):
    response = editor_client.post(url("add"), form(account, locale="fr", body="{{ otp }} est votre code", sender="ACME",
                                                   subject="not an SMS field: dropped"))
    row = OTPTemplate.objects.get(account=account, key="otp_sms", locale="fr")
    assert response.status_code == 302 and response.url == url("change", row.pk)
    assert (row.version, row.is_active, row.body, row.sender, row.subject) == (1, True, "{{ otp }} est votre code", "ACME", "")
    assert row.created_by == f"admin:{editor.username}"


def test_saving_a_version_makes_the_next_one_and_keeps_the_old(editor_client, account):
    first = saved(account)
    response = editor_client.post(url("change", first.pk), form(account, body="Code: {{ otp }}"))
    assert response.status_code == 302
    versions = list(OTPTemplate.objects.filter(account=account, key="otp_sms").order_by("version"))
    assert [(v.version, v.is_active, v.body) for v in versions] == [
        (1, False, SMS["body"]), (2, True, "Code: {{ otp }}")
    ]
    # Account, key and locale come from the saved template, never from the posted form.
    editor_client.post(url("change", first.pk), {**form(account, key="otp_email", locale="de"), "body": "{{ otp }}!"})
    assert OTPTemplate.objects.filter(account=account, key="otp_sms", locale="", version=3).exists()
    assert not OTPTemplate.objects.filter(key="otp_email").exists()


def test_a_draft_is_saved_inactive(editor_client, account):
    first = saved(account)
    data = form(account, body="Draft {{ otp }}")
    del data["is_active"]
    editor_client.post(url("change", first.pk), data)
    assert list(OTPTemplate.objects.filter(account=account).values_list("version", "is_active").order_by("version")) == [
        (1, True), (2, False)
    ]


def test_an_invalid_save_shows_the_line_and_saves_nothing(editor_client, account):
    first = saved(account)
    response = editor_client.post(url("change", first.pk), form(account, body="{{ otp }}\n{% include 'x.html' %}"))
    assert response.status_code == 400
    assert "Line 2: Tag {% include %} is not allowed" in response.content.decode()
    assert OTPTemplate.objects.filter(account=account).count() == 1


def test_registered_text_cannot_be_edited_only_deactivated(editor_client, account):
    row = saved(account, body="Your code is {{ otp }} - ACME", registered=True)
    page = editor_client.get(url("change", row.pk)).content.decode()
    assert "cannot be edited, only deactivated" in page and "Save as a new version" not in page
    response = editor_client.post(url("change", row.pk), form(account, body="Changed {{ otp }}"))
    assert response.status_code == 409
    assert OTPTemplate.objects.filter(account=account).count() == 1
    # A new version through the add page is refused by the service too.
    response = editor_client.post(url("add"), form(account, body="Other {{ otp }}"))
    assert response.status_code == 400 and "Template registered" in response.content.decode()
    assert OTPTemplate.objects.filter(account=account).count() == 1

    assert editor_client.post(url("deactivate", row.pk)).status_code == 302
    row.refresh_from_db()
    assert row.is_active is False


def test_reactivate_an_older_version_through_the_service(editor_client, account):
    first = saved(account, body="One {{ otp }}")
    second = saved(account, body="Two {{ otp }}")
    page = editor_client.get(url("change", second.pk)).content.decode()
    assert url("activate", first.pk) in page and "Re-activate" in page
    assert editor_client.get(url("activate", first.pk)).status_code == 405
    response = editor_client.post(url("activate", first.pk))
    assert response.status_code == 302 and response.url == url("change", first.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (True, False)


def test_editor_page_has_the_locale_picker_history_and_a_sandboxed_preview(editor_client, account):
    row = saved(account, locale="de")
    page = editor_client.get(url("change", row.pk)).content.decode()
    assert 'sandbox=""' in page and "templates_app/editor.js" in page and "cdn" not in page.lower()
    assert "Any locale (&quot;&quot;)" in page and "pt-BR" in page and "de — Deutsch (saved)" in page
    assert f"{url('add')}?account={account.pk}&amp;key=otp_sms&amp;locale=fr" in page
    add_page = editor_client.get(url("add"), {"account": account.pk, "key": "otp_sms", "locale": "fr"}).content.decode()
    assert "{{ otp }}" in add_page  # starts from the built-in French text


def test_staff_without_template_permissions_cannot_use_the_editor(client, django_user_model, account):
    row = saved(account)
    staff = django_user_model.objects.create_user(username="ops", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(url("changelist")).status_code == 403
    assert client.get(url("add")).status_code == 403
    assert client.get(url("change", row.pk)).status_code == 403
    assert client.post(url("change", row.pk), form(account, body="{{ otp }}!")).status_code == 403
    assert client.post(url("preview"), form(account, body="{{ otp }}")).status_code == 403
    assert client.post(url("activate", row.pk)).status_code == 403
    assert client.post(url("deactivate", row.pk)).status_code == 403
    assert client.post(url("send_test"), form(account, body="{{ otp }}", test_recipient="+14155552671")).status_code == 403
    assert OTPTemplate.objects.count() == 1 and OTPTemplate.objects.get().is_active


def test_view_permission_alone_reads_but_cannot_save(client, django_user_model, account):
    row = saved(account)
    viewer = django_user_model.objects.create_user(username="reader", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_otptemplate"))
    client.force_login(viewer)
    page = client.get(url("change", row.pk)).content.decode()
    assert "Save as a new version" not in page and "Re-activate" not in page
    assert client.post(url("change", row.pk), form(account, body="{{ otp }}!")).status_code == 403
    assert client.post(url("activate", row.pk)).status_code == 403
    assert client.get(url("add")).status_code == 403
    assert client.post(url("preview"), form(account, body="{{ otp }}")).status_code == 200
    assert OTPTemplate.objects.count() == 1


def test_anonymous_requests_go_to_the_login(client, account):
    response = client.post(url("preview"), form(account, body="{{ otp }}"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_any_bcp47_locale_is_accepted_and_stored_canonical(editor_client, account):
    editor_client.post(url("add"), form(account, locale="pt_br", body="{{ otp }} é o seu código"))
    editor_client.post(url("add"), form(account, locale="en-gb", body="{{ otp }} is your code"))
    assert set(OTPTemplate.objects.values_list("locale", flat=True)) == {"pt-BR", "en-GB"}
    row = OTPTemplate.objects.get(locale="en-GB")
    page = editor_client.get(url("change", row.pk)).content.decode()
    assert "en-GB — " not in page and '<option value="' in page and ">en-GB (saved)</option>" in page
    status, data = preview(editor_client, form(account, locale="not a locale!", body="{{ otp }}"))
    assert status == 400 and data["errors"][0]["field"] == "locale"


def test_sample_metadata_is_a_json_object_of_at_most_4_kb(editor_client, account):
    status, data = preview(editor_client, form(account, body="{{ otp }}", preview_metadata="[1, 2]"))
    assert status == 400 and data["errors"][0]["field"] == "preview_metadata"
    big = '{"x": "%s"}' % ("a" * 4100)
    status, data = preview(editor_client, form(account, body="{{ otp }}", preview_metadata=big))
    assert status == 400 and "4096 bytes" in data["errors"][0]["message"]


def test_a_registered_template_previews_byte_for_byte_on_its_read_only_page(editor_client, account):
    row = saved(account, body="Code {{otp}} &amp; {% x %}", registered=True)
    page = editor_client.get(url("change", row.pk)).content.decode()
    assert 'readonly' in page and 'name="registered" value="True"' in page
    status, data = preview(editor_client, form(account, body=row.body, registered="True"))
    assert status == 200 and data["body"] == "Code 123456 &amp; {% x %}"


def test_the_preview_endpoint_checks_the_csrf_token(editor, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(url("preview"), form(account, body="{{ otp }}")).status_code == 403
    client.get(url("add"))
    token = client.cookies["csrftoken"].value
    response = client.post(url("preview"), form(account, body="{{ otp }}"), headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json()["body"] == "123456"
