"""The dashboard page in admin: staff with the permission to view sessions (operators, superusers)."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.models import Account
from wallet.money import format_units

from .charts import dashboard_charts
from .selectors import account_choices, dashboard_read

PERMISSION = "otp.view_otpsession"


class DashboardFilter(forms.Form):
    account = forms.UUIDField(required=False)

    def clean_account(self):
        account_id = self.cleaned_data["account"]
        if account_id is not None and not Account.objects.filter(pk=account_id).exists():
            raise forms.ValidationError("No such account.")
        return account_id


def dashboard_view(request):
    """Last 30 days of live traffic (admin.site.admin_view has already required staff)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = DashboardFilter(request.GET)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "form": form,
        "accounts": account_choices(),
    }
    if not form.is_valid():
        return TemplateResponse(request, "admin/otp_dashboard/dashboard.html", context, status=400)
    account_id = form.cleaned_data["account"]
    dashboard = dashboard_read(now=timezone.now(), account_id=account_id)
    context.update(
        selected=str(account_id) if account_id else "",
        dashboard=dashboard,
        charts=dashboard_charts(dashboard),
        spend_total=format_units(sum(dashboard.spend)),
    )
    return TemplateResponse(request, "admin/otp_dashboard/dashboard.html", context)
