"""Admin for the fraud guard: decisions (read-only), lists, and test recipients without their codes.

Registered from otp.apps (OtpConfig.ready), since this module is not an app's own admin.py.
"""
from django.contrib import admin

from .models import FraudDecision, FraudListEntry, TestRecipient


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FraudDecision)
class FraudDecisionAdmin(_ReadOnly):
    list_display = ("created_at", "account", "rule", "mode", "channel", "country", "ip", "short_hash")
    # Indexed columns only: (account, rule | mode, created_at).
    list_filter = ("rule", "mode", "account")
    search_fields = ("=recipient_hash", "=ip")
    fields = ("created_at", "account", "rule", "mode", "channel", "country", "recipient_hash", "ip", "detail")
    readonly_fields = fields
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what the guard decided is not edited away

    @admin.display(description="recipient (HMAC)")
    def short_hash(self, decision: FraudDecision) -> str:
        return decision.recipient_hash[:12]


@admin.register(FraudListEntry)
class FraudListEntryAdmin(_ReadOnly):
    list_display = ("value", "kind", "value_kind", "account", "created_at")
    list_filter = ("kind", "value_kind")
    search_fields = ("=value", "=match")
    fields = ("account", "kind", "value_kind", "value", "match", "created_at")
    readonly_fields = fields


@admin.register(TestRecipient)
class TestRecipientAdmin(_ReadOnly):
    # code_sealed is deliberately absent: the code is never shown, not even sealed.
    list_display = ("recipient", "kind", "code_length", "account", "created_at")
    search_fields = ("=recipient", "=canonical")
    fields = ("account", "kind", "recipient", "canonical", "code_length", "created_at")
    readonly_fields = fields
