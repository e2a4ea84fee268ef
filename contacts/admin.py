"""Admin for contacts."""
from django.contrib import admin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("__str__", "account", "email", "phone", "email_verified_at", "sms_verified_at", "whatsapp_verified_at")
    list_filter = ("account",)
    search_fields = ("email", "phone")
    readonly_fields = ("id", "created_at", "updated_at")
