"""Admin for wallets (read-only balance, a top-up action), the read-only ledger and price lists.

Every top-up is written to the audit log (django-auditlog) with the balance before and after.
"""
from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from otpservice.admin_paging import BoundedCountPaginator
from otpservice.errors import IdempotencyKeyReused

from .forms import PriceForm, TopUpForm
from .models import LedgerEntry, Price, Wallet
from .money import format_units
from .services import wallet_topup_batch


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("account", "balance_display", "currency", "updated_at", "ledger_link")
    search_fields = ("account__name", "account__id")
    list_select_related = ("account",)
    readonly_fields = ("balance_display", "created_at", "updated_at")
    fields = ("account", "currency", "balance_display", "created_at", "updated_at")
    actions = ["top_up"]

    def get_readonly_fields(self, request, obj=None):
        # A wallet can be opened for an account here, but never moved to another one, nor its
        # balance and ledger reinterpreted in another currency.
        return (*self.readonly_fields, "account", "currency") if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # An existing wallet has nothing editable here. A full save() would write back the balance
        # and the day's spend as this page read them, undoing every charge and top-up made since.
        if not change:
            super().save_model(request, obj, form, change)

    @admin.display(description="balance", ordering="balance")
    def balance_display(self, wallet: Wallet) -> str:
        return format_units(wallet.balance)

    @admin.display(description="ledger")
    def ledger_link(self, wallet: Wallet) -> str:
        url = reverse("admin:wallet_ledgerentry_changelist") + f"?wallet__id__exact={wallet.pk}"
        return format_html('<a href="{}">entries</a>', url)

    @admin.action(description="Top up selected wallets", permissions=["change"])
    def top_up(self, request, queryset):
        form = TopUpForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._apply_top_up(request, list(queryset), form.cleaned_data)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Top up wallets",
            "opts": self.model._meta,
            "form": form,
            "wallets": [
                {"pk": wallet.pk, "account": wallet.account, "balance": format_units(wallet.balance)}
                for wallet in queryset.select_related("account")
            ],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/wallet/wallet/top_up.html", context)

    def _apply_top_up(self, request, wallets: list[Wallet], values: dict) -> None:
        try:
            credited = wallet_topup_batch(
                wallets=wallets,
                amount=values["amount"],
                actor=f"admin:{request.user.get_username()}",
                batch_key=f"admin-topup:{values['token']}",
                note=values["note"],
            )
        except IdempotencyKeyReused:
            self.message_user(
                request,
                "This top-up form was already used with other values: nothing was credited. "
                "Start a new top-up from the wallet list.",
                messages.ERROR,
            )
            return
        if credited:
            self._audit_top_up(request, wallets, values)
            self.message_user(request, f"Topped up {credited} wallet(s) by {values['amount']:.4f}.", messages.SUCCESS)
        else:
            self.message_user(
                request, "This top-up was already applied: nothing was credited again.", messages.WARNING
            )


    def _audit_top_up(self, request, wallets: list[Wallet], values: dict) -> None:
        """One audit entry per credited wallet: its balance before and after, and the ledger row."""
        keys = {f"admin-topup:{values['token']}:{wallet.pk}": wallet for wallet in wallets}
        for entry in LedgerEntry.objects.filter(idempotency_key__in=keys):
            LogEntry.objects.log_create(
                keys[entry.idempotency_key], action=LogEntry.Action.UPDATE, actor=request.user,
                changes={"balance": [format_units(entry.balance_after - entry.amount), format_units(entry.balance_after)]},
                additional_data={"admin_action": "top_up", "ledger_entry": entry.pk, "note": entry.note},
            )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at", "wallet", "kind", "amount_display", "balance_after_display", "channel", "session_link", "actor",
    )
    list_filter = ("kind", "channel", "created_at")
    search_fields = ("wallet__account__name", "session_id", "idempotency_key", "actor")
    list_select_related = ("wallet__account",)
    # No date hierarchy (its year list reads every row) and no full count: fast at millions of entries.
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = (
        "created_at", "wallet", "kind", "amount_display", "balance_after_display", "session_link", "channel",
        "actor", "note", "idempotency_key",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, entry: LedgerEntry) -> str:
        return format_units(entry.amount)

    @admin.display(description="balance after", ordering="balance_after")
    def balance_after_display(self, entry: LedgerEntry) -> str:
        return format_units(entry.balance_after)

    @admin.display(description="session", ordering="session_id")
    def session_link(self, entry: LedgerEntry) -> str:
        # The id outlives the session (housekeeping purges old ones); admin says so if it is gone.
        if entry.session_id is None:
            return "-"
        url = reverse("admin:otp_otpsession_change", args=[entry.session_id])
        return format_html('<a href="{}">{}</a>', url, entry.session_id)


class GlobalOrAccountFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("global", "Global defaults"), ("account", "Account overrides")]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(account__isnull=True)
        if self.value() == "account":
            return queryset.filter(account__isnull=False)
        return queryset


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    form = PriceForm
    list_display = ("channel", "scope", "amount_display", "updated_at")
    list_filter = (GlobalOrAccountFilter, "channel")
    search_fields = ("account__name",)
    list_select_related = ("account",)
    autocomplete_fields = ("account",)

    @admin.display(description="account")
    def scope(self, price: Price) -> str:
        return str(price.account) if price.account_id else "Global default"

    @admin.display(description="price", ordering="amount")
    def amount_display(self, price: Price) -> str:
        return format_units(price.amount)
