"""Admin inline for an account's rate limits and abuse controls (see docs/rate-limits.md)."""
from django.contrib import admin

from .models import AbusePolicy


class AbusePolicyInline(admin.StackedInline):
    model = AbusePolicy
    extra = 1  # an empty form to fill in; left untouched, nothing is saved
    max_num = 1
    can_delete = True
    verbose_name = "rate limits and abuse controls (blank fields use the global defaults)"
    fieldsets = (
        ("Rate limits", {"fields": ("recipient_rate", "ip_rate", "send_rate", "verify_rate", "resend_rate")}),
        (
            "Destinations (SMS pumping)",
            {"fields": ("sms_destinations", "whatsapp_destinations", "allowed_number_types")},
        ),
        ("Spend", {"fields": ("daily_spend_cap",)}),
        (
            "Fraud guard (docs/rate-limits.md: a mode per rule; blank is its default)",
            {
                "fields": (
                    "high_risk_destinations_allowed",
                    ("fraud_failed_verifications_mode", "fraud_failed_verifications"),
                    ("fraud_recipient_sends_mode", "fraud_recipient_sends"),
                    ("fraud_ip_countries_mode", "fraud_ip_countries"),
                    "fraud_country_budget_mode",
                    "fraud_blocklist_mode",
                )
            },
        ),
    )
