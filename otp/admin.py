"""Admin for sessions (timeline, filters, cancel and expire), delivery attempts and the outbox.

No page shows a code or a code hash. List pages stay fast at a million sessions: no full-table
count (BoundedCountPaginator, no "N total", no facets, no date hierarchy), filters on indexed
columns, and a search that looks a session up by id or a recipient by its exact value first.
"""
from __future__ import annotations

import re
import uuid

from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone

from otpservice.admin_paging import BoundedCountPaginator
from otpservice.admin_readonly import ReadOnlyMixin

from .admin_timeline import template_label, timeline_html
from .lifecycle import session_status, status_q
from .models import Channel, ChannelVerification, DeliveryAttempt, OTPSession, OutboxMessage, SessionStatus
from .services.operator import sessions_end

# A bulk action changes at most this many sessions at a time ("select all" over a million rows).
BULK_LIMIT = 1000
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


class ChannelInline(ReadOnlyMixin, admin.TabularInline):
    model = ChannelVerification
    # code_hash is deliberately absent.
    fields = (
        "channel", "recipient", "verified_at", "delivery_status", "provider", "provider_message_id", "last_error",
        "generation", "template_served",
    )
    readonly_fields = fields
    extra = 0

    @admin.display(description="template")
    def template_served(self, row: ChannelVerification) -> str:
        return template_label(row.template)


class ChannelFilter(admin.SimpleListFilter):
    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return Channel.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(channel_rows__channel=self.value())
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """The status a reader sees (otp.lifecycle): a live session past expires_at is listed as EXPIRED."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return SessionStatus.choices

    def queryset(self, request, queryset):
        if self.value() in SessionStatus.values:
            return queryset.filter(status_q(self.value(), timezone.now()))
        return queryset


def recipient_candidates(term: str) -> set[str]:
    """The stored spellings a typed recipient may have: as typed, phone punctuation removed,
    email domain lower-cased (how send normalizes), and all lower case."""
    candidates = {term, term.lower()}
    if "@" in term:
        local, _, domain = term.rpartition("@")
        candidates.add(f"{local}@{domain.lower()}")
    else:
        candidates.add(_PHONE_PUNCTUATION.sub("", term))
    return candidates


@admin.register(OTPSession)
class OTPSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "effective_status", "channel_list", "sandbox", "created_at", "expires_at")
    list_filter = (
        StatusFilter, ChannelFilter, "sandbox", ("created_at", admin.DateFieldListFilter),
        ("expires_at", admin.DateFieldListFilter), "account",
    )
    search_fields = ("id", "channel_rows__recipient")  # the search box; get_search_results decides how
    search_help_text = "A session id, or a recipient (exact first, then any part of it)."
    list_select_related = ("account",)
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    inlines = [ChannelInline]
    actions = ["cancel_sessions", "expire_sessions"]
    fieldsets = (
        (None, {"fields": ("id", "account", "effective_status", "sandbox", "created_at", "expires_at", "verified_at")}),
        ("Timeline", {"fields": ("timeline",)}),
        ("Settings and counters", {"classes": ["collapse"], "fields": (
            "verification_strategy", "required_channels", "otp_length", "expiry_minutes", "max_attempts",
            "failed_attempts", "resend_count", "last_sent_at", "locale", "metadata", "add_contact",
        )}),
    )
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A session's page is read-only for everyone; the change permission allows the bulk actions.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("channel_rows")

    @admin.display(description="status", ordering="status")
    def effective_status(self, obj: OTPSession) -> str:
        return SessionStatus(session_status(obj, now=timezone.now())).label

    @admin.display(description="channels")
    def channel_list(self, obj: OTPSession) -> str:
        return ", ".join(f"{row.channel}: {row.get_delivery_status_display()}" for row in obj.channel_rows.all())

    @admin.display(description="timeline")
    def timeline(self, obj: OTPSession) -> str:
        return timeline_html(obj)  # safe: rendered by a template, which escapes every value

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            pass
        exact = queryset.filter(
            pk__in=ChannelVerification.objects.filter(recipient__in=recipient_candidates(term)).values("session_id")
        )
        if exact.exists():  # the recipient index answers this; the part match below reads every row
            return exact, False
        partial = ChannelVerification.objects.filter(recipient__icontains=term).values("session_id")
        return queryset.filter(pk__in=partial), False

    @admin.action(description="Cancel selected sessions (refunds what was not sent)", permissions=["change"])
    def cancel_sessions(self, request, queryset):
        return self._end_sessions(request, queryset, "cancel")

    @admin.action(description="Expire selected sessions now (refunds what was not sent)", permissions=["change"])
    def expire_sessions(self, request, queryset):
        return self._end_sessions(request, queryset, "expire")

    def _end_sessions(self, request, queryset, action: str):
        ids = [str(pk) for pk in queryset.order_by().values_list("pk", flat=True)[: BULK_LIMIT + 1]]
        if len(ids) > BULK_LIMIT:
            self.message_user(request, f"At most {BULK_LIMIT} sessions at a time: narrow the filters.", messages.ERROR)
            return None
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": f"{action.capitalize()} {len(ids)} session(s)?",
                "opts": self.model._meta,
                "action": request.POST.get("action"),
                "verb": action,
                "session_ids": ids,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/otp/otpsession/end_sessions.html", context)
        result = sessions_end(session_ids=ids, action=action)
        after = SessionStatus.CANCELLED if action == "cancel" else SessionStatus.EXPIRED
        for session_id, before in result.changed.items():
            LogEntry.objects.log_create(
                OTPSession(pk=session_id), action=LogEntry.Action.UPDATE, actor=request.user,
                changes={"status": [before, after]}, additional_data={"admin_action": action},
            )
        done = "cancelled" if action == "cancel" else "expired"
        self.message_user(
            request, f"{len(result.changed)} session(s) {done}; {result.refunded_channels} unsent channel(s) refunded.",
            messages.SUCCESS,
        )
        for session_id, reason in result.refused.items():
            self.message_user(request, f"Not {done}: {session_id} ({reason})", messages.WARNING)
        return None


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("attempted_at", "channel_row", "provider", "outcome", "provider_message_id", "error")
    list_filter = ("outcome", "provider")
    search_fields = ("provider_message_id", "channel_row__session__id")
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "channel", "to", "subject", "session")
    list_filter = ("channel",)
    search_fields = ("to", "session__id")
    fields = ("created_at", "channel", "to", "subject", "body", "html", "session")
    readonly_fields = fields
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
