"""Admin for accounts and API keys: a new key is shown once, keys can be revoked, and the account
page shows its keys' last use, its rate limits and abuse controls, and its wallet balance."""
from decimal import Decimal

from django.contrib import admin, messages
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from .admin_keys import key_create_view, key_revoke_view
from .admin_policy import AbusePolicyInline
from .models import Account, ApiKey
from .services import api_key_issue, api_key_revoke


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "mode", "prefix", "created_at", "last_used_at", "revoked_at", "revoke_link")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="revoke")
    def revoke_link(self, api_key: ApiKey) -> str:
        if api_key.revoked_at or not api_key.pk:
            return "-"
        url = reverse("admin:accounts_apikey_revoke", args=[api_key.pk])
        return format_html('<a class="revoke-key" href="{}">Revoke</a>', url)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "id")
    readonly_fields = ("id", "created_at", "wallet_balance")
    inlines = [ApiKeyInline, AbusePolicyInline]
    actions = ["issue_live_key", "issue_test_key"]
    change_form_template = "admin/accounts/account/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:account_id>/keys/new/", view(lambda r, account_id: key_create_view(self, r, account_id)),
                 name="accounts_apikey_create"),
            *super().get_urls(),
        ]

    @admin.display(description="wallet")
    def wallet_balance(self, account: Account) -> str:
        # Through the reverse relation, by URL name: accounts imports neither wallet nor otp.
        wallet = getattr(account, "wallet", None) if account.pk else None
        if wallet is None:
            return "No wallet yet (the first top-up opens one)"
        balance = f"{Decimal(wallet.balance).scaleb(-4):.4f}"  # wallet.money's four places
        try:
            ledger = reverse("admin:wallet_ledgerentry_changelist") + f"?wallet__id__exact={wallet.pk}"
            wallet_url = reverse("admin:wallet_wallet_change", args=[wallet.pk])
        except NoReverseMatch:
            return f"{balance} {wallet.currency}"
        return format_html(
            '<strong class="wallet-balance">{} {}</strong> · <a href="{}">ledger</a> · <a href="{}">wallet and top-up</a>',
            balance, wallet.currency, ledger, wallet_url,
        )

    def _issue(self, request, queryset, mode):
        for account in queryset:
            issued = api_key_issue(account=account, mode=mode, name="issued in admin")
            # The only time the plain key exists; it is not stored.
            self.message_user(
                request, f"New {mode} key for {account.name} (shown once, copy it now): {issued.raw}", messages.WARNING
            )

    @admin.action(description="Issue a new live API key (shown once)", permissions=["add_key"])
    def issue_live_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Mode.LIVE)

    @admin.action(description="Issue a new test API key (shown once)", permissions=["add_key"])
    def issue_test_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Mode.TEST)

    def has_add_key_permission(self, request) -> bool:
        return request.user.has_perm("accounts.add_apikey")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "account", "name", "mode", "created_at", "last_used_at", "revoked_at")
    list_filter = ("mode", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "account__name", "name")
    readonly_fields = ("account", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("account", "name", "mode", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:key_id>/revoke/", view(lambda r, key_id: key_revoke_view(self, r, key_id)),
                 name="accounts_apikey_revoke"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False  # keys are created from the account page, so the plain key can be shown once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the audit log and last use keep naming them

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
