"""OTP templates: one row per saved version; one active version per account, key and locale."""
from django.db import models

from accounts.models import Account
from accounts.validators import validate_locale

from .keys import KEY_CHANNELS, TemplateKey


class OTPTemplateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class OTPTemplate(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="otp_templates")
    key = models.CharField(max_length=20, choices=TemplateKey.choices)
    # "" is the account's template for any locale; otherwise a canonical BCP 47 tag.
    locale = models.CharField(max_length=35, blank=True, default="", validators=[validate_locale])
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=998, blank=True, default="")
    body = models.TextField(help_text="The SMS or WhatsApp text, or the email's text part.")
    html = models.TextField(blank=True, default="")
    from_email = models.EmailField(blank=True, default="")
    from_name = models.CharField(max_length=100, blank=True, default="")
    sender = models.CharField(max_length=20, blank=True, default="", help_text="SMS sender ID or number.")
    content_sid = models.CharField(max_length=34, blank=True, default="", help_text="Twilio Content SID (HX…).")
    content_variables = models.JSONField(default=dict, blank=True)
    registered = models.BooleanField(default=False, help_text="Carrier-registered text: sent byte for byte.")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True, default="")

    objects = OTPTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = "OTP template version"
        ordering = ["account", "key", "locale", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key", "locale", "version"], name="templates_app_otptemplate_version_unique"
            ),
            models.UniqueConstraint(
                fields=["account", "key", "locale"],
                condition=models.Q(is_active=True),
                name="templates_app_otptemplate_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(key__in=TemplateKey.values), name="templates_app_otptemplate_key_reserved"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="templates_app_otptemplate_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.key} [{self.locale or 'any locale'}] v{self.version}"

    @property
    def channel(self) -> str:
        return KEY_CHANNELS[self.key]
