"""Built-in message texts per locale: the email (subject, text, HTML), SMS and WhatsApp defaults."""
from __future__ import annotations

from . import europe, world

TEXTS: dict[str, dict[str, str]] = {**europe.TEXTS, **world.TEXTS}
BUILTIN_LOCALES = tuple(sorted(TEXTS))

# The email is assembled from each language's lines, so every locale has the same layout.
_EMAIL_TEXT = "{lead}\n\n{{{{ otp }}}}\n\n{expiry}\n{caution}\n"
_EMAIL_HTML = (
    '<!DOCTYPE html>\n<html lang="{{{{ locale }}}}" dir="{dir}"><head><meta charset="utf-8">'
    "<title>{subject}</title></head>\n"
    '<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1f2933;">\n'
    '<p style="font-size:16px;">{lead}</p>\n'
    '<p style="font-size:32px;font-weight:bold;letter-spacing:6px;margin:24px 0;">{{{{ otp }}}}</p>\n'
    '<p style="font-size:14px;">{expiry}</p>\n'
    '<p style="font-size:13px;color:#616e7c;">{caution}</p>\n'
    "</body></html>\n"
)


def builtin_texts(locale: str) -> dict[str, str]:
    """The template sources of one built-in locale: subject, body and html for email, sms, whatsapp."""
    lines = TEXTS[locale]
    return {
        "subject": lines["subject"],
        "email_body": _EMAIL_TEXT.format(**lines),
        "email_html": _EMAIL_HTML.format(**{"dir": "ltr", **lines}),
        "sms": lines["sms"],
        "whatsapp": lines["whatsapp"],
    }


def builtin_locale_list() -> list[dict[str, str]]:
    return [{"locale": locale, "name": TEXTS[locale]["name"], "dir": TEXTS[locale].get("dir", "ltr")} for locale in BUILTIN_LOCALES]
