"""Fraud-guard tables: decisions, sliding-window hits, country counters, lists and test recipients.

Registered through otp.models (imported at its end), so they belong to the otp app.
"""
from django.db import models

from .rules import Mode, Rule


class FraudDecision(models.Model):
    """A decision that blocked, or in record mode would have blocked: never the recipient, only its HMAC."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="fraud_decisions")
    rule = models.CharField(max_length=32, choices=Rule.choices)
    mode = models.CharField(max_length=6, choices=Mode.choices)
    channel = models.CharField(max_length=8, blank=True, default="")
    country = models.CharField(max_length=8, blank=True, default="")
    # HMAC-SHA256(OTP_PEPPER, canonical recipient): joins decisions about one recipient, reveals nothing.
    recipient_hash = models.CharField(max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What was measured against what, e.g. "11 > 10 in 24 h"; never a recipient or a code.
    detail = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="otp_fraud_dec_account"),
            models.Index(fields=["account", "rule", "-created_at"], name="otp_fraud_dec_rule"),
            models.Index(fields=["account", "mode", "-created_at"], name="otp_fraud_dec_mode"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.mode}) at {self.created_at:%Y-%m-%d %H:%M:%S}"


class FraudHit(models.Model):
    """One counted event of a sliding-window rule (a failed guess, a send, an IP's country)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=32, choices=Rule.choices)
    subject = models.CharField(max_length=64)  # HMAC of the recipient or IP
    detail = models.CharField(max_length=8, blank=True, default="")  # the country, for ip_countries
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "rule", "subject", "created_at"], name="otp_fraud_hit_subject"),
            models.Index(fields=["created_at"], name="otp_fraud_hit_created"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} hit at {self.created_at:%Y-%m-%d %H:%M:%S}"


class FraudCountryHour(models.Model):
    """Live phone codes sent and verified per account, country and hour: the country budget's history."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    country = models.CharField(max_length=8)
    hour = models.DateTimeField()
    sent = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "country", "hour"], name="otp_fraud_country_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.hour:%Y-%m-%d %H:00}: {self.sent} sent, {self.verified} verified"


class FraudListEntry(models.Model):
    class Kind(models.TextChoices):
        ALLOW = "allow"
        BLOCK = "block"

    class ValueKind(models.TextChoices):
        PHONE = "phone"  # a number or a prefix: "+33", "+336", "+33612345678"
        EMAIL = "email"
        DOMAIN = "domain"  # "@example.com"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="fraud_list_entries")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    value_kind = models.CharField(max_length=6, choices=ValueKind.choices)
    value = models.CharField(max_length=255)  # as given, normalized
    match = models.CharField(max_length=255)  # the canonical form sends are compared with
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "allow or block list entry"
        verbose_name_plural = "allow and block list entries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "match"], name="otp_fraud_list_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class TestRecipient(models.Model):
    """A phone or email whose live sends deliver nothing, charge nothing and verify with a fixed code."""

    __test__ = False  # not a pytest test class, whatever its name

    class Kind(models.TextChoices):
        PHONE = "phone"  # sms and whatsapp
        EMAIL = "email"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="test_recipients")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    recipient = models.CharField(max_length=254)  # normalized as given
    canonical = models.CharField(max_length=254)
    # Fernet token of the code under a key derived from OTP_PEPPER (otp.fraud.sealing); never the code.
    code_sealed = models.TextField()
    code_length = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "canonical"], name="otp_test_recipient_unique"),
        ]

    def __str__(self) -> str:
        return self.recipient
