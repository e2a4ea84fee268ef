"""The template editor's "send test": the form's message, rendered with the sample code, into the
outbox (code masked there, as the outbox provider stores every message). Lives in otp because
templates_app must not import otp; it replaces templates_app's admin with one that has the view."""
from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path, reverse

from otpservice.validation import RecipientError, normalize_email, normalize_phone
from templates_app.admin import OTPTemplateAdmin, editor_preview, invalid_problem
from templates_app.admin_forms import TemplateEditorForm
from templates_app.exceptions import TemplateInvalid
from templates_app.models import OTPTemplate
from templates_app.services import PREVIEW_CODE

from .delivery.base import Message
from .delivery.outbox import OutboxProvider


def _error(field: str | None, message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": [{"field": field, "line": None, "message": message}]}, status=400)


class OTPTemplateEditorAdmin(OTPTemplateAdmin):
    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_send_test"
        return [path("send-test/", self.admin_site.admin_view(self.send_test_view), name=name), *super().get_urls()]

    def send_test_url(self) -> str:
        return self.url("send_test")

    def send_test_view(self, request: HttpRequest) -> HttpResponse:
        """POST the editor's form and test_recipient: JSON {ok, to, outbox_id, outbox_url} or {ok, errors}."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.can_edit(request):
            raise PermissionDenied
        form = TemplateEditorForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"ok": False, "errors": form.problems()}, status=400)
        try:
            rendered = editor_preview(form)  # the sample code, never a session's
        except TemplateInvalid as exc:
            return JsonResponse({"ok": False, "errors": [invalid_problem(exc)]}, status=400)
        channel = rendered["channel"]
        try:
            recipient = request.POST.get("test_recipient", "").strip()
            to = normalize_email(recipient) if channel == "email" else normalize_phone(recipient)
        except RecipientError as exc:
            return _error("test_recipient", f"recipient: {exc}")
        fields = form.template_fields()
        result = OutboxProvider().send(
            Message(
                channel=channel, to=to, body=rendered["body"], subject=rendered["subject"], html=rendered["html"],
                from_email=fields.get("from_email", ""), from_name=fields.get("from_name", ""),
                sender=fields.get("sender", ""), content_sid=fields.get("content_sid", ""), code=PREVIEW_CODE,
            )
        )
        outbox_id = int(result.message_id.removeprefix("outbox-"))
        return JsonResponse({
            "ok": True, "to": to, "outbox_id": outbox_id,
            "outbox_url": reverse(f"{self.admin_site.name}:otp_outboxmessage_change", args=[outbox_id]),
        })


admin.site.unregister(OTPTemplate)  # registered by templates_app.admin, imported above
admin.site.register(OTPTemplate, OTPTemplateEditorAdmin)
