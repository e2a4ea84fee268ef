"""Admin views for API keys: create one (its plain value shown once, with a copy button), revoke one."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .models import Account, ApiKey
from .services import api_key_issue, api_key_revoke


class KeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="What the key is for, e.g. checkout backend.")
    mode = forms.ChoiceField(
        choices=ApiKey.Mode.choices, initial=ApiKey.Mode.LIVE,
        help_text="A test key reaches sandbox sessions only: nothing is delivered or charged.",
    )


def _context(model_admin, request, **extra):
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


def key_create_view(model_admin, request, account_id):
    """GET: the form; POST: issue the key and answer a page with its only plain copy (admin_view
    sends every admin page with Cache-Control: no-store, so no cache keeps it)."""
    if not request.user.has_perm("accounts.add_apikey"):
        raise PermissionDenied
    account = get_object_or_404(Account, pk=account_id)
    form = KeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = api_key_issue(account=account, mode=form.cleaned_data["mode"], name=form.cleaned_data["name"])
        context = _context(
            model_admin, request, title="API key created", account=account, api_key=issued.api_key, raw_key=issued.raw,
            account_url=reverse("admin:accounts_account_change", args=[account.pk]),
        )
        return TemplateResponse(request, "admin/accounts/apikey/created.html", context)
    context = _context(model_admin, request, title=f"New API key for {account}", account=account, form=form)
    return TemplateResponse(request, "admin/accounts/apikey/create.html", context)


def key_revoke_view(model_admin, request, key_id):
    """GET: confirm; POST: revoke (at once for every request that presents it)."""
    if not request.user.has_perm("accounts.change_apikey"):
        raise PermissionDenied
    api_key = get_object_or_404(ApiKey.objects.select_related("account"), pk=key_id)
    if request.method == "POST":
        api_key_revoke(api_key=api_key)
        model_admin.message_user(request, f"Revoked {api_key} of {api_key.account}.", messages.SUCCESS)
        return redirect(reverse("admin:accounts_account_change", args=[api_key.account_id]))
    context = _context(model_admin, request, title=f"Revoke {api_key}?", api_key=api_key)
    return TemplateResponse(request, "admin/accounts/apikey/revoke.html", context)
