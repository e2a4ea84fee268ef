"""Wallets (one per account), the append-only ledger, and prices per channel."""
from django.db import models
from django.db.models import Q

# The channels wallet prices, by name: wallet takes channel names as opaque references and needs
# nothing from otp (otpservice/tests/test_architecture.py holds these equal to otp's channels).
CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS"), ("whatsapp", "WhatsApp")]
CHANNELS = tuple(name for name, _ in CHANNEL_CHOICES)


class Wallet(models.Model):
    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="wallet")
    # In 1/10,000 currency units (see wallet.money); changed only by wallet.services (via wallet.ledger).
    balance = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    # What was charged on the UTC day `spent_on`, in units, kept by the charge's own UPDATE
    # (wallet.ledger.add_to_balance): the daily spend cap reads it there instead of summing the day's
    # ledger, a sum that grew with the day's traffic on every send.
    spent_on = models.DateField(null=True, blank=True)
    # db_default too: processes still on the previous release insert wallets without the column.
    spent_that_day = models.BigIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Wallet of {self.account}"


class LedgerKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"
    TOPUP = "topup", "Top-up"
    ADJUSTMENT = "adjustment", "Adjustment"


class LedgerEntry(models.Model):
    """One change of a balance. Rows are only ever inserted: the balance is their sum."""

    # PROTECT: money history outlives nothing by accident; deactivate accounts instead.
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    # Signed, in 1/10,000 units: charges are negative, refunds and top-ups positive.
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    # A plain UUID, not a foreign key: housekeeping purges old sessions, and an entry must keep
    # naming the session it charged or refunded after that (a FK would be nulled or block the purge).
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES, blank=True, default="")
    # Who caused it: "api", "delivery", "admin:<username>", "create_account", …
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=255, blank=True, default="")
    # charge:{session}:{channel}:{generation}, refund:…, or a caller's key: a repeat cannot post twice.
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="wallet_ledger_kind_valid"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="wallet_ledger_balance_after_not_negative"),
        ]
        indexes = [
            models.Index(fields=["wallet", "-created_at"], name="wallet_ledger_wallet_created"),
            models.Index(fields=["wallet", "kind", "-created_at"], name="wallet_ledger_wallet_kind"),
            # Spend per day across wallets (the admin dashboard): a range of days, not the whole ledger.
            models.Index(fields=["created_at"], name="wallet_ledger_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on wallet {self.wallet_id}"

    def save(self, *args, **kwargs):
        # Append-only: an existing entry is never rewritten (corrections are new adjustment rows).
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only")
        super().save(*args, **kwargs)


class Price(models.Model):
    """Price of one message on a channel; account NULL is the global default, else an override."""

    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    channel = models.CharField(max_length=8, choices=CHANNEL_CHOICES)
    # In 1/10,000 currency units.
    amount = models.BigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["account", "channel"], name="wallet_price_account_channel_unique"),
            # NULLs are distinct in a unique index, so the global row needs its own constraint.
            models.UniqueConstraint(
                fields=["channel"], condition=Q(account__isnull=True), name="wallet_price_global_channel_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="wallet_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for {self.account or 'everyone'}"
