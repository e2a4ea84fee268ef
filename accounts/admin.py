"""Admin for accounts and API keys: a new key is shown once, keys can be revoked."""
from django.contrib import admin, messages

from .admin_policy import AbusePolicyInline
from .models import Account, ApiKey
from .services import api_key_issue, api_key_revoke


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "id")
    readonly_fields = ("id", "created_at")
    inlines = [ApiKeyInline, AbusePolicyInline]
    actions = ["issue_live_key", "issue_test_key"]

    def _issue(self, request, queryset, mode):
        for account in queryset:
            issued = api_key_issue(account=account, mode=mode, name="issued in admin")
            # The only time the plain key exists; it is not stored.
            self.message_user(
                request, f"New {mode} key for {account.name} (shown once, copy it now): {issued.raw}", messages.WARNING
            )

    @admin.action(description="Issue a new live API key (shown once)")
    def issue_live_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Mode.LIVE)

    @admin.action(description="Issue a new test API key (shown once)")
    def issue_test_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Mode.TEST)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "account", "name", "mode", "created_at", "last_used_at", "revoked_at")
    list_filter = ("mode", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "account__name", "name")
    readonly_fields = ("account", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("account", "name", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are issued from the account page, so the plain key can be shown once

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
