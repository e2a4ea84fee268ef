"""Writes of templates: every save is a new version; one version per key and locale is active."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from accounts.models import Account

from .exceptions import TemplateInvalid, TemplateNotFound, TemplateRegistered
from .keys import KEY_CHANNELS
from .locales import FALLBACK, locale_builtin, locale_candidates
from .messages import source_of
from .models import OTPTemplate
from .rendering import (
    EMPTY,
    FieldProblem,
    Source,
    builtin_source,
    source_render,
    template_fields_check,
    template_values,
)
from .sandbox import TemplateProblem
from .segments import sms_length
from .selectors import templates_active_drop

PREVIEW_CODE = "123456"
PREVIEW_EXPIRY_MINUTES = 10


def _invalid(problem: FieldProblem) -> TemplateInvalid:
    details = {"field": problem.field, "line": problem.line, "errors": {problem.field: [problem.message]}}
    return TemplateInvalid(f"Invalid template: {problem.message}", details=details)


def _locked_account(account: Account) -> None:
    # Saves of one account take turns, so version numbers and the one active version never race.
    Account.objects.select_for_update().filter(pk=account.pk).first()


def template_save(
    *, account: Account, key: str, locale: str, fields: dict, created_by: str, must_exist: bool = False
) -> OTPTemplate:
    """Save `fields` as the next version of (key, locale), active unless fields say is_active false.

    must_exist (PUT) refuses a key and locale never saved (404). The active version being a
    registered one refuses the save (409): registered text is only deactivated.
    """
    fields = {**EMPTY, **fields}
    is_active = fields.pop("is_active", True)
    try:
        template_fields_check(key=key, fields=fields)
    except FieldProblem as problem:
        raise _invalid(problem) from None
    with transaction.atomic():
        _locked_account(account)
        versions = OTPTemplate.objects.filter(account=account, key=key, locale=locale)
        latest = versions.aggregate(latest=Max("version"))["latest"]
        if must_exist and latest is None:
            raise TemplateNotFound(details={"key": key, "locale": locale})
        current = versions.filter(is_active=True).first()
        if current is not None and current.registered:
            raise TemplateRegistered(details={"key": key, "locale": locale, "version": current.version})
        if is_active and current is not None:
            versions.filter(pk=current.pk).update(is_active=False)
            templates_active_drop(account=account, key=key)  # update() sends no signal
        return OTPTemplate.objects.create(
            account=account, key=key, locale=locale, version=(latest or 0) + 1, is_active=is_active,
            created_by=created_by, **fields,
        )


def template_deactivate(*, account: Account, key: str, locale: str) -> None:
    """The built-in default (or the locale-less template) serves again; registered ones too."""
    with transaction.atomic():
        _locked_account(account)
        if not OTPTemplate.objects.filter(account=account, key=key, locale=locale, is_active=True).update(is_active=False):
            raise TemplateNotFound(details={"key": key, "locale": locale})
        templates_active_drop(account=account, key=key)  # update() sends no signal


def template_version_activate(*, account: Account, key: str, locale: str, version: int) -> OTPTemplate:
    with transaction.atomic():
        _locked_account(account)
        versions = OTPTemplate.objects.filter(account=account, key=key, locale=locale)
        target = versions.filter(version=version).first()
        if target is None:
            raise TemplateNotFound(
                "Template version not found", details={"key": key, "locale": locale, "version": version}
            )
        versions.filter(is_active=True).exclude(pk=target.pk).update(is_active=False)
        templates_active_drop(account=account, key=key)  # update() sends no signal
        if not target.is_active:
            target.is_active = True
            target.save(update_fields=["is_active"])
        return target


def template_preview(
    *, account: Account, key: str, locale: str, fields: dict | None = None, metadata: dict | None = None
) -> dict:
    """Render the given unsaved fields, else the active template of (key, locale), else the built-in
    default of that locale, with sample values: {subject, body, html, length, encoding, segments, template}."""
    channel = KEY_CHANNELS[key]
    if fields is not None:
        fields = {**EMPTY, **fields}
        fields.pop("is_active", None)
        try:
            template_fields_check(key=key, fields=fields)
        except FieldProblem as problem:
            raise _invalid(problem) from None
        source = Source(key=key, locale=locale, source="custom", **fields)
    else:
        row = OTPTemplate.objects.active().filter(account=account, key=key, locale=locale).first()
        if row is not None:
            source = source_of(row)
        else:
            candidates = locale_candidates(requested=locale, channel=channel, account_default=account.default_locale)
            builtin = next((found for found in map(locale_builtin, candidates) if found), FALLBACK)
            source = builtin_source(
                key=key, locale=builtin, content_sid=settings.TWILIO_WHATSAPP_CONTENT_SID,
                content_variables=settings.TWILIO_WHATSAPP_CONTENT_VARIABLES,
            )
    values = template_values(
        code=PREVIEW_CODE, expiry_minutes=PREVIEW_EXPIRY_MINUTES, app_name=settings.OTP.get("APP_NAME", "OTP Service"),
        channel=channel, locale=source.locale or locale or FALLBACK, metadata=metadata,
        webotp_domain=account.webotp_domain if channel == "sms" else "",
        android_app_hash=account.android_app_hash if channel == "sms" else "",
    )
    try:
        parts = source_render(source, values)
    except TemplateProblem as exc:
        raise _invalid(FieldProblem("body", f"body: {exc.message}", exc.line)) from None
    length = sms_length(parts.body)
    return {
        "subject": parts.subject,
        "body": parts.body,
        "html": parts.html,
        "length": length.length,
        "encoding": length.encoding,
        "segments": length.segments,
        "template": source.served,
    }
