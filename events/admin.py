"""Admin for webhook endpoints (the secret shown once, rotate), deliveries with their attempts (redeliver), events."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from otpservice.admin_paging import BoundedCountPaginator
from otpservice.admin_readonly import ReadOnlyMixin
from otpservice.errors import ServiceError

from . import services
from .exceptions import WebhookUrlInvalid
from .models import DeliveryAttempt, Event, WebhookDelivery, WebhookEndpoint
from .services.endpoints import UPDATABLE
from .target import url_check
from .types import EventType


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ("account", "url", "events", "description", "is_active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            url_check(url)
        except WebhookUrlInvalid as exc:
            raise ValidationError(exc.message) from None
        return url


def _secret_page(model_admin, request, pairs, *, rotated: bool) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Webhook signing secret",
        "secrets": pairs,
        "rotated": rotated,
        "changelist_url": reverse("admin:events_webhookendpoint_changelist"),
    }
    response = TemplateResponse(request, "admin/events/webhookendpoint/secret.html", context)
    add_never_cache_headers(response)
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("url", "account", "is_active", "event_list", "secret_rotated_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description", "account__name")
    readonly_fields = ("secret_rotated_at", "previous_secret_expires_at", "created_at", "updated_at")
    actions = ["rotate_secrets"]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "account") if obj else self.readonly_fields

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in UPDATABLE}
            services.webhook_update(account=obj.account, endpoint_id=obj.pk, fields=fields)
            return
        created = services.webhook_create(
            account=data["account"], url=data["url"], events=data["events"], description=data["description"],
            is_active=data["is_active"],
        )
        obj.pk, obj.secret_sealed, obj.created_at = created.endpoint.pk, created.endpoint.secret_sealed, created.endpoint.created_at
        obj._state.adding = False
        request._webhook_secret = created.secret

    def response_add(self, request, obj, post_url_continue=None):
        return _secret_page(self, request, [(obj, request._webhook_secret)], rotated=False)

    @admin.action(description="Rotate the signing secret (the new one is shown once)", permissions=["change"])
    def rotate_secrets(self, request, queryset):
        pairs = []
        for endpoint in queryset.select_related("account"):
            rotated = services.webhook_secret_rotate(account=endpoint.account, endpoint_id=endpoint.pk)
            pairs.append((rotated.endpoint, rotated.secret))
        return _secret_page(self, request, pairs, rotated=True)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "address", "response_code", "duration_ms", "error", "response_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event_type", "endpoint", "status", "attempts", "last_response_code", "next_attempt_at")
    list_filter = ("status", "event__type")
    search_fields = ("=id", "=event__id", "endpoint__url")
    fields = (
        "event", "endpoint", "status", "attempts", "next_attempt_at", "last_attempt_at", "last_response_code",
        "last_error", "created_at", "updated_at",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "endpoint")

    @admin.display(description="event")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.action(description="Redeliver (start the retry schedule again)", permissions=["change"])
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("endpoint__account")[:1000]:
            try:
                services.delivery_redeliver(
                    account=delivery.endpoint.account, endpoint_id=delivery.endpoint_id, delivery_id=delivery.pk
                )
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"Not redelivered: {delivery.pk} ({exc.message})", messages.WARNING)
        if done:
            self.message_user(request, f"Redelivering {done} deliveries.", messages.SUCCESS)


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = WebhookDelivery
    fields = ("endpoint", "status", "attempts", "last_response_code", "next_attempt_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "type", "account", "public_id")
    list_filter = ("type",)
    search_fields = ("=id",)
    fields = ("id", "account", "type", "created_at", "data")
    readonly_fields = fields
    inlines = [DeliveryInline]
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("events.view_event")
