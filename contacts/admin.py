"""Admin for contacts: every field, tags inline, search by address or external id."""
from django.contrib import admin

from .models import Contact, ContactTag


class ContactTagInline(admin.TabularInline):
    model = ContactTag
    extra = 0


class VerifiedFilter(admin.SimpleListFilter):
    title = "verified channel"
    parameter_name = "verified"
    STAMPS = {"email": "email_verified_at", "sms": "phone_verified_at", "whatsapp": "whatsapp_verified_at"}

    def lookups(self, request, model_admin):
        return [(channel, channel) for channel in self.STAMPS]

    def queryset(self, request, queryset):
        if self.value() in self.STAMPS:
            return queryset.filter(**{f"{self.STAMPS[self.value()]}__isnull": False})
        return queryset


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = (
        "__str__", "account", "external_id", "email", "phone", "first_name", "last_name", "is_active",
        "is_unsubscribed", "tag_list", "email_verified_at", "phone_verified_at", "whatsapp_verified_at", "created_at",
    )
    list_filter = ("is_active", "is_unsubscribed", VerifiedFilter, "created_at", "account")
    search_fields = ("email", "email_key", "phone", "external_id", "first_name", "last_name")
    readonly_fields = ("id", "email_key", "tag_list", "created_at", "updated_at")
    list_select_related = ("account",)
    inlines = [ContactTagInline]
    fieldsets = [
        (None, {"fields": ("id", "account", "external_id", "email", "email_key", "phone", "first_name", "last_name")}),
        ("Status", {"fields": ("is_active", "is_unsubscribed")}),
        ("Verified", {"fields": ("email_verified_at", "phone_verified_at", "whatsapp_verified_at")}),
        ("Data", {"fields": ("tag_list", "custom_fields", "metadata", "preferences")}),
        ("Times", {"fields": ("created_at", "updated_at")}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tag_rows")

    @admin.display(description="tags")
    def tag_list(self, contact: Contact) -> str:
        # Shown to everyone who may view contacts; the inline edits them (it needs the tag permission).
        return ", ".join(contact.tag_names)
