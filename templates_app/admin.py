"""Admin for templates: an editor with a live preview whose every save is a new version (through
templates_app.services), the version history with re-activate; registered text is only deactivated."""
from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from accounts.models import Account

from .admin_forms import TemplateEditorForm, initial_from, key_fields, locale_choices
from .exceptions import TemplateInvalid, TemplateNotFound, TemplateRegistered
from .keys import KEY_CHANNELS, TemplateKey
from .locales import FALLBACK, locale_builtin
from .models import OTPTemplate
from .rendering import builtin_source
from .services import template_deactivate, template_preview, template_save, template_version_activate


def invalid_problem(exc: TemplateInvalid) -> dict:
    """{field, line, message} of an invalid template; the message without its "field: " prefix."""
    field, line = exc.details.get("field"), exc.details.get("line")
    message = (exc.details.get("errors") or {}).get(field, [exc.message])[0]
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2:]
    return {"field": field, "line": line, "message": message}


def problem_text(problem: dict) -> str:
    return f"Line {problem['line']}: {problem['message']}" if problem["line"] else problem["message"]


def editor_preview(form: TemplateEditorForm) -> dict:
    """What the API's preview returns for the form's unsaved fields (sample code, the account's
    autofill settings; an account not chosen yet has none), and the channel."""
    data = form.cleaned_data
    preview = template_preview(
        account=data["account"] or Account(), key=data["key"], locale=data["locale"],
        fields=form.template_fields(), metadata=data["preview_metadata"],
    )
    return {"channel": KEY_CHANNELS[data["key"]], **preview}


@admin.register(OTPTemplate)
class OTPTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "locale", "version", "account", "is_active", "registered", "created_at", "created_by")
    list_filter = ("key", "is_active", "registered", "account")
    search_fields = ("account__name", "locale", "subject", "body")
    editor_template = "admin/templates_app/otptemplate/editor.html"

    def has_delete_permission(self, request, obj=None):
        return False  # versions are history; a template is deactivated, never deleted

    def get_urls(self):
        wrap, name = self.admin_site.admin_view, f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("preview/", wrap(self.preview_view), name=f"{name}_preview"),
            path("<path:object_id>/activate/", wrap(self.activate_view), name=f"{name}_activate"),
            path("<path:object_id>/deactivate/", wrap(self.deactivate_view), name=f"{name}_deactivate"),
            *super().get_urls(),
        ]

    def url(self, view: str, *args, query: dict | None = None) -> str:
        found = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)
        return f"{found}?{urlencode(query)}" if query else found

    def send_test_url(self) -> str:
        """Where the editor's "send test" posts; otp adds the view (templates_app cannot reach the outbox)."""
        return ""

    def can_edit(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    # The editor replaces the model form: a save goes through template_save, never ModelForm.save().
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self.editor_view(request, row=None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        row = self.get_object(request, unquote(object_id))
        if row is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, row):
            raise PermissionDenied
        return self.editor_view(request, row=row)

    def editor_view(self, request: HttpRequest, *, row: OTPTemplate | None) -> HttpResponse:
        can_save = self.has_add_permission(request) if row is None else self.has_change_permission(request, row)
        versions = active = None
        if row is not None:
            versions = list(OTPTemplate.objects.filter(account=row.account, key=row.key, locale=row.locale).order_by("-version"))
            active = next((version for version in versions if version.is_active), None)
        registered = row is not None and (row.registered or bool(active and active.registered))
        status = 200
        if request.method == "POST":
            if not can_save:
                raise PermissionDenied
            if registered:
                messages.error(request, "Carrier-registered text cannot be edited, only deactivated.")
                status = 409
                form = TemplateEditorForm(initial=initial_from(row), fixed=row, readonly=True)
            else:
                form = TemplateEditorForm(request.POST, fixed=row)
                saved = self.editor_save(request, form) if form.is_valid() else None
                if saved is not None:
                    state = "active" if saved.is_active else "a draft, not active"
                    messages.success(request, f"Saved {saved} ({state}).")
                    return HttpResponseRedirect(self.url("change", saved.pk))
                status = 400
        else:
            initial = initial_from(row) if row is not None else self.add_initial(request)
            form = TemplateEditorForm(initial=initial, fixed=row, readonly=registered or not can_save)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": f"Edit {row}" if row else "Add OTP template", "row": row, "form": form,
            "versions": versions, "active": active, "registered": registered,
            "can_save": can_save and not registered, "can_change": row is not None and self.has_change_permission(request, row),
            "preview_url": self.url("preview"), "send_test_url": self.send_test_url(),
            "key_fields": json.dumps({key: key_fields(key) for key in TemplateKey.values}),
            "locale_links": self.locale_links(row) if row else [],
            "test_recipient": request.user.email if row is None or row.channel == "email" else "",
        }
        return TemplateResponse(request, self.editor_template, context, status=status)

    def add_initial(self, request: HttpRequest) -> dict:
        """An add page opened for a key (the locale picker's links) starts from the built-in text."""
        initial = {name: request.GET.get(name, "") for name in ("account", "key", "locale")}
        initial["is_active"] = True
        if initial["key"] in TemplateKey.values:
            locale = locale_builtin(initial["locale"]) or FALLBACK
            builtin = builtin_source(key=initial["key"], locale=locale)
            initial.update(subject=builtin.subject, html=builtin.html, body=builtin.body)
        return initial

    def locale_links(self, row: OTPTemplate) -> list[dict]:
        """One entry per locale for the picker: its active (else newest) version of this account and
        key, or the add page for it."""
        saved: dict[str, int] = {}
        for pk, locale in (
            OTPTemplate.objects.filter(account=row.account, key=row.key)
            .order_by("locale", "is_active", "version").values_list("pk", "locale")
        ):
            saved[locale] = pk  # the last one per locale: active, else the newest
        links = []
        for locale, label in locale_choices(row.locale):
            if locale in saved:
                url, label = self.url("change", saved[locale]), f"{label} (saved)"
            else:
                url = self.url("add", query={"account": row.account_id, "key": row.key, "locale": locale})
            links.append({"locale": locale, "label": label, "url": url, "current": locale == row.locale})
        return links

    def editor_save(self, request: HttpRequest, form: TemplateEditorForm) -> OTPTemplate | None:
        data = form.cleaned_data
        if data["account"] is None:
            form.add_error("account", "Choose the account the template belongs to.")
            return None
        try:
            return template_save(
                account=data["account"], key=data["key"], locale=data["locale"],
                fields={**form.template_fields(), "is_active": data["is_active"]},
                created_by=f"admin:{request.user.get_username()}",
            )
        except TemplateInvalid as exc:
            problem = invalid_problem(exc)
            form.add_error(problem["field"] if problem["field"] in form.fields else None, problem_text(problem))
        except TemplateRegistered as exc:
            form.add_error(None, exc.message)
        return None

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """JSON for the editor: the same rendering as POST /api/v1/otp/templates/{key}/preview."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_view_or_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        form = TemplateEditorForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"ok": False, "errors": form.problems()}, status=400)
        try:
            return JsonResponse({"ok": True, **editor_preview(form)})
        except TemplateInvalid as exc:
            return JsonResponse({"ok": False, "errors": [invalid_problem(exc)]}, status=400)

    def _group_action(self, request: HttpRequest, object_id: str):
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        row = self.get_object(request, unquote(object_id))
        if row is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, row):
            raise PermissionDenied
        return row, HttpResponseRedirect(self.url("change", row.pk))

    def activate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        row, response = self._group_action(request, object_id)
        if row is not None:
            template_version_activate(account=row.account, key=row.key, locale=row.locale, version=row.version)
            messages.success(request, f"{row} is the active version again.")
        return response

    def deactivate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        row, response = self._group_action(request, object_id)
        if row is not None:
            try:
                template_deactivate(account=row.account, key=row.key, locale=row.locale)
                messages.success(request, f"{row.key} [{row.locale or 'any locale'}] deactivated: "
                                          "the locale-less template or the built-in default serves again.")
            except TemplateNotFound:
                messages.warning(request, "No version of this template is active.")
        return response
