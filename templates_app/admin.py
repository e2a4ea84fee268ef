"""Admin for templates: every version, read-only here (edits go through the versioning services)."""
from django.contrib import admin

from .models import OTPTemplate


@admin.register(OTPTemplate)
class OTPTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "locale", "version", "account", "is_active", "registered", "created_at", "created_by")
    list_filter = ("key", "is_active", "registered", "account")
    search_fields = ("account__name", "locale", "subject", "body")
    readonly_fields = [field.name for field in OTPTemplate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
