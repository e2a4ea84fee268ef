"""Accounts (tenants) and their API keys, stored only as hashes."""
import uuid

from django.core.validators import MinValueValidator
from django.db import models

from .validators import (
    validate_android_app_hash,
    validate_destinations,
    validate_locale,
    validate_number_types,
    validate_rate,
    validate_webotp_domain,
)


class Account(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Message settings read by templates_app (docs/templates.md).
    # db_default too: rows written by code that predates these fields (data migrations) get "".
    default_locale = models.CharField(
        max_length=35, blank=True, default="", db_default="", validators=[validate_locale],
        help_text="BCP 47 locale of messages when the send gives none and the number's country does not decide, "
        "e.g. fr or pt-BR. Blank: en.",
    )
    webotp_domain = models.CharField(
        max_length=253, blank=True, default="", db_default="", validators=[validate_webotp_domain],
        help_text="Host name of your site, e.g. example.com: SMS defaults end with the origin-bound line "
        "'@example.com #123456' (WebOTP, iOS and Android autofill). Blank: no such line.",
    )
    android_app_hash = models.CharField(
        max_length=11, blank=True, default="", db_default="", validators=[validate_android_app_hash],
        help_text="11-character Android SMS Retriever hash appended to SMS defaults; config.android_app_hash "
        "overrides it per send. Blank: none.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF's IsAuthenticated asks the authenticated principal this; an account is one.
    is_authenticated = True


class ApiKey(models.Model):
    class Mode(models.TextChoices):
        LIVE = "live", "Live"
        TEST = "test", "Test (sandbox)"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    mode = models.CharField(max_length=4, choices=Mode.choices)
    # The first characters of the secret part: a non-secret handle to find the row in one lookup.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    # SHA-256 of the whole key; keys carry 256 bits of entropy, so a slow hash adds nothing.
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sk_{self.mode}_{self.prefix}…"

    @property
    def is_test(self) -> bool:
        return self.mode == self.Mode.TEST


class FraudMode(models.TextChoices):
    """How a fraud-guard rule acts for an account; "" means the rule's default (otp.fraud.rules)."""

    DEFAULT = "", "Default"
    BLOCK = "block", "Block (refuse and record)"
    RECORD = "record", "Record (decide and log, block nothing)"
    OFF = "off", "Off"


class AbusePolicy(models.Model):
    """Per-account overrides of rate limits and destination controls; blank means the OTP default."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="abuse_policy")
    recipient_rate = models.CharField(
        max_length=20, blank=True, validators=[validate_rate],
        help_text="Sends to one recipient per channel, e.g. 5/5m. Blank: OTP RATE_RECIPIENT.",
    )
    ip_rate = models.CharField(
        max_length=20, blank=True, validators=[validate_rate],
        help_text="Sends per end-user IP, e.g. 20/h. Blank: OTP RATE_IP.",
    )
    send_rate = models.CharField(
        max_length=20, blank=True, validators=[validate_rate], help_text="Send requests, e.g. 100/m. Blank: OTP RATE_SEND."
    )
    verify_rate = models.CharField(
        max_length=20, blank=True, validators=[validate_rate],
        help_text="Verify requests, e.g. 300/m. Blank: OTP RATE_VERIFY.",
    )
    resend_rate = models.CharField(
        max_length=20, blank=True, validators=[validate_rate],
        help_text="Resend requests, e.g. 20/m. Blank: OTP RATE_RESEND.",
    )
    sms_destinations = models.CharField(
        max_length=1000, blank=True, validators=[validate_destinations],
        help_text="Allowed SMS destinations: ISO regions (US, GB) and/or calling codes (+44). Blank: all.",
    )
    whatsapp_destinations = models.CharField(
        max_length=1000, blank=True, validators=[validate_destinations],
        help_text="Allowed WhatsApp destinations: ISO regions and/or calling codes. Blank: all.",
    )
    allowed_number_types = models.CharField(
        max_length=200, blank=True, validators=[validate_number_types],
        help_text="phonenumbers types accepted for SMS/WhatsApp, e.g. MOBILE, FIXED_LINE_OR_MOBILE. "
        "Blank: OTP ALLOWED_NUMBER_TYPES.",
    )
    daily_spend_cap = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True,
        help_text="Most this account may be charged per UTC day. Blank: OTP DAILY_SPEND_CAP (50.0000 by default).",
    )
    # Fraud guard (docs/rate-limits.md, Fraud guard): a mode per rule and its threshold; blank uses the default.
    high_risk_destinations_allowed = models.CharField(
        max_length=1000, blank=True, default="", db_default="", validators=[validate_destinations],
        help_text="High-risk destinations (from OTP HIGH_RISK_DESTINATIONS: satellite, international networks, "
        "pumping-prone countries) this account may send to anyway, e.g. +881, CK. Blank: none.",
    )
    fraud_failed_verifications_mode = models.CharField(
        max_length=6, blank=True, default="", db_default="", choices=FraudMode.choices,
        help_text="Failed verifications per recipient across sessions. Blank: block.",
    )
    fraud_failed_verifications = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Failed verifications allowed per recipient in 24 h. Blank: OTP FRAUD_FAILED_VERIFICATIONS (10).",
    )
    fraud_recipient_sends_mode = models.CharField(
        max_length=6, blank=True, default="", db_default="", choices=FraudMode.choices,
        help_text="Sends per recipient across sessions. Blank: block.",
    )
    fraud_recipient_sends = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Messages allowed per recipient in 24 h. Blank: OTP FRAUD_RECIPIENT_SENDS (20).",
    )
    fraud_ip_countries_mode = models.CharField(
        max_length=6, blank=True, default="", db_default="", choices=FraudMode.choices,
        help_text="One end-user IP reaching many phone countries. Blank: block.",
    )
    fraud_ip_countries = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Phone countries one IP may reach in 24 h. Blank: OTP FRAUD_IP_COUNTRIES (3).",
    )
    fraud_country_budget_mode = models.CharField(
        max_length=6, blank=True, default="", db_default="", choices=FraudMode.choices,
        help_text="Unverified codes per phone country against the account's verified history. Blank: record.",
    )
    fraud_blocklist_mode = models.CharField(
        max_length=6, blank=True, default="", db_default="", choices=FraudMode.choices,
        help_text="The account's block list (403 recipient_blocked). Blank: block.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rate limits and abuse controls"
        verbose_name_plural = "rate limits and abuse controls"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_spend_cap__isnull=True) | models.Q(daily_spend_cap__gte=0),
                name="accounts_abusepolicy_spend_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Abuse controls of {self.account}"
