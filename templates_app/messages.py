"""What delivery asks for: the message of one channel of a send, in the right locale, from the
account's template or the built-in default. Never fails because of a template."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from accounts.models import Account

from .keys import CHANNEL_KEYS
from .locales import FALLBACK, locale_builtin, locale_candidates
from .models import OTPTemplate
from .rendering import Source, builtin_source, source_render, template_values
from .selectors import template_active_for

logger = logging.getLogger("templates_app")


@dataclass(frozen=True)
class RenderedMessage:
    """One channel's message. `body`, `html` and `content_variables` hold the code: never log them."""

    subject: str
    body: str = field(repr=False)
    html: str = field(repr=False)
    from_email: str
    from_name: str
    sender: str
    content_sid: str
    content_variables: dict[str, str] = field(repr=False)
    served: dict  # {source: "custom" | "default", key, locale, version}; no code


def source_of(row: OTPTemplate) -> Source:
    return Source(
        key=row.key, locale=row.locale, body=row.body, source="custom", version=row.version, subject=row.subject,
        html=row.html, from_email=row.from_email, from_name=row.from_name, sender=row.sender,
        content_sid=row.content_sid, content_variables=dict(row.content_variables or {}), registered=row.registered,
    )


def default_source(*, key: str, candidates: list[str]) -> Source:
    locale = next((found for found in map(locale_builtin, candidates) if found), FALLBACK)
    return builtin_source(
        key=key, locale=locale, content_sid=settings.TWILIO_WHATSAPP_CONTENT_SID,
        content_variables=settings.TWILIO_WHATSAPP_CONTENT_VARIABLES,
    )


def pick_source(*, customs: dict[str, OTPTemplate], key: str, candidates: list[str]) -> Source:
    """DESIGN.md §4: the send's locale is the first candidate with a custom template or a built-in;
    for it the custom template, else the locale-less custom one, else the built-in, else English."""
    for candidate in candidates:
        if candidate in customs:
            return source_of(customs[candidate])
        if locale_builtin(candidate):
            break
    if "" in customs:
        return source_of(customs[""])
    return default_source(key=key, candidates=candidates)


def _message(source: Source, values: dict) -> RenderedMessage:
    parts = source_render(source, values)
    return RenderedMessage(
        subject=parts.subject, body=parts.body, html=parts.html, from_email=source.from_email,
        from_name=source.from_name, sender=source.sender, content_sid=source.content_sid,
        content_variables=parts.content_variables, served=source.served,
    )


def template_message_render(
    *,
    account_id,
    channel: str,
    code: str,
    expiry_minutes: int,
    app_name: str,
    locale: str = "",
    recipient: str = "",
    metadata: dict | None = None,
    android_app_hash: str = "",
    account: Account | None = None,
) -> RenderedMessage:
    """The message of `channel` ("email" | "sms" | "whatsapp") for a send of the account.

    `locale` is config.locale (anything, even malformed: never an error), `recipient` the channel's
    normalized recipient (a phone's country picks the language), `android_app_hash` the send's
    config.android_app_hash (else the account's). `account`, when the caller has the row loaded
    already, saves the query for its settings (default_locale, webotp_domain, android_app_hash). A custom template that fails is logged, without
    the code, and the built-in default goes out instead.
    """
    key = CHANNEL_KEYS[channel]
    if account is None or account.pk != account_id:
        account = Account.objects.only("default_locale", "webotp_domain", "android_app_hash").get(pk=account_id)
    candidates = locale_candidates(
        requested=locale, channel=channel, recipient=recipient, account_default=account.default_locale
    )
    customs = template_active_for(account_id=account_id, key=key, locales=[*candidates, ""])
    source = pick_source(customs=customs, key=key, candidates=candidates)
    served_locale = source.locale or next((found for found in map(locale_builtin, candidates) if found), FALLBACK)
    values = template_values(
        code=code, expiry_minutes=expiry_minutes, app_name=app_name, channel=channel, locale=served_locale,
        metadata=metadata, webotp_domain=account.webotp_domain if channel == "sms" else "",
        android_app_hash=(android_app_hash or account.android_app_hash) if channel == "sms" else "",
    )
    try:
        return _message(source, values)
    except Exception as exc:  # a template never stops a code from going out
        if source.source != "custom":
            raise
        # The problem's text is ours (never the rendered message), so it cannot carry the code.
        logger.warning(
            "Template %s [%s] v%s of account %s failed (%s: %s); the built-in default is sent instead",
            source.key, source.locale or "any locale", source.version, account_id, type(exc).__name__,
            str(exc).replace(code, "•" * len(code)),
        )
        return _message(default_source(key=key, candidates=candidates), values)
