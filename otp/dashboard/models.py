"""Daily rollups of live traffic, so the dashboard reads 30 small rows per account and channel
instead of scanning a million sessions (otp.dashboard.services keeps them)."""
from django.db import models


class RollupDay(models.Model):
    """A UTC day whose rollup rows are complete (as of computed_at); the dashboard computes the
    days without one from the base tables."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} (rolled up {self.computed_at:%Y-%m-%d %H:%M})"


class DailyChannelStat(models.Model):
    """One account's live traffic on one channel on one UTC day.

    Sessions count on the day they were created (channels, sends, verified, failed); money on the
    day the ledger entry was posted (charged, refunded, positive 1/10,000 units).
    """

    day = models.DateField()
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    # Channel rows (one per session and channel), codes sent (resends included), rows verified,
    # rows whose current code failed for good.
    channels = models.PositiveIntegerField(default=0)
    sends = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    charged = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "account", "channel"], name="dash_stat_day_account_channel"),
        ]
        indexes = [models.Index(fields=["account", "day"], name="dash_stat_account_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.channel}"


class DailyFailureStat(models.Model):
    """Channels that failed for good, by reason (the provider's error up to its first colon)."""

    day = models.DateField()
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    reason = models.CharField(max_length=120)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "account", "channel", "reason"], name="dash_failure_day_account_channel_reason"
            ),
        ]
        indexes = [models.Index(fields=["account", "day"], name="dash_failure_account_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.reason}"
