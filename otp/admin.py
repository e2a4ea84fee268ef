"""Admin for sessions (read-only, no hashes), delivery attempts and the outbox."""
from django.contrib import admin
from django.utils import timezone

from .lifecycle import session_status, status_q
from .models import Channel, ChannelVerification, DeliveryAttempt, OTPSession, OutboxMessage, SessionStatus


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChannelInline(ReadOnlyMixin, admin.TabularInline):
    model = ChannelVerification
    # code_hash is deliberately absent.
    fields = ("channel", "recipient", "verified_at", "delivery_status", "provider", "provider_message_id", "last_error", "generation")
    readonly_fields = fields
    extra = 0


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


@admin.register(OTPSession)
class OTPSessionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "account", "effective_status", "sandbox", "failed_attempts", "resend_count", "created_at", "expires_at")
    list_filter = (StatusFilter, ChannelFilter, "sandbox", "created_at", "account")
    search_fields = ("id", "channel_rows__recipient")
    date_hierarchy = "created_at"
    list_select_related = ("account",)
    inlines = [ChannelInline]
    fields = (
        "id", "account", "effective_status", "verification_strategy", "required_channels", "otp_length", "expiry_minutes",
        "max_attempts", "failed_attempts", "resend_count", "metadata", "sandbox", "add_contact",
        "created_at", "last_sent_at", "expires_at", "verified_at",
    )
    readonly_fields = fields

    @admin.display(description="status", ordering="status")
    def effective_status(self, obj: OTPSession) -> str:
        return SessionStatus(session_status(obj, now=timezone.now())).label

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, True


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("attempted_at", "channel_row", "provider", "outcome", "provider_message_id", "error")
    list_filter = ("outcome", "provider")
    search_fields = ("provider_message_id", "channel_row__session__id")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "channel", "to", "subject", "session")
    list_filter = ("channel",)
    search_fields = ("to", "session__id")
    fields = ("created_at", "channel", "to", "subject", "body", "html", "session")
    readonly_fields = fields
