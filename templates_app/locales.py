"""Which locale a message is written in (DESIGN.md §4): config.locale, its language, for SMS and
WhatsApp the main language of the number's country, the account's default, then English. Pure."""
from __future__ import annotations

import phonenumbers

from accounts.validators import locale_canonical

from .defaults import BUILTIN_LOCALES

FALLBACK = "en"
PHONE_CHANNELS = ("sms", "whatsapp")

# Tags that name a built-in under another spelling: old ISO codes, macrolanguages, scripts by region.
ALIASES = {
    "no": "nb", "nn": "nb", "iw": "he", "in": "id", "tl": "fil", "zh-Hans": "zh", "zh-CN": "zh",
    "zh-SG": "zh", "zh-Hans-CN": "zh", "zh-TW": "zh-Hant", "zh-HK": "zh-Hant", "zh-MO": "zh-Hant",
    "zh-Hant-TW": "zh-Hant", "zh-Hant-HK": "zh-Hant", "zh-Hant-MO": "zh-Hant", "pt-PT": "pt",
}

# The language most of a country's people read, for the countries whose language has a built-in.
# Countries with several (CH, BE, CA, IN) get the most widely read one; the send's locale overrides.
_COUNTRY_LANGUAGES = {
    "ar": "AE BH DZ EG IQ JO KW LB LY MA OM PS QA SA SD SY TN YE",
    "bg": "BG", "bn": "BD", "ca": "AD", "cs": "CZ", "da": "DK GL", "de": "AT CH DE LI",
    "el": "CY GR", "en": "AU CA GB IE NZ US ZA NG GH JM SG", "es": "AR BO CL CO CR CU DO EC ES GQ GT HN MX NI PA PE PR PY SV UY VE",
    "fa": "AF IR", "fi": "FI", "fil": "PH", "fr": "BF BJ CD CI CM FR GA GN LU MC ML NE SN TG",
    "he": "IL", "hi": "IN", "hr": "BA HR", "hu": "HU", "id": "ID", "it": "IT SM VA", "ja": "JP",
    "ko": "KR", "ms": "BN MY", "nb": "NO", "nl": "BE NL SR", "pl": "PL", "pt": "AO CV GW MZ PT ST TL",
    "pt-BR": "BR", "ro": "MD RO", "ru": "BY KG KZ RU", "sk": "SK", "sv": "SE", "sw": "KE TZ UG",
    "th": "TH", "tr": "TR", "uk": "UA", "vi": "VN", "zh": "CN", "zh-Hant": "HK MO TW",
}
COUNTRY_LOCALES = {region: locale for locale, regions in _COUNTRY_LANGUAGES.items() for region in regions.split()}


def locale_builtin(tag: str) -> str | None:
    """The built-in locale `tag` names (itself or an alias), or None."""
    tag = ALIASES.get(tag, tag)
    return tag if tag in BUILTIN_LOCALES else None


def country_locale(phone: str) -> str | None:
    """The main language of the country of an E.164 number, when it has a built-in."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return None
    return COUNTRY_LOCALES.get(region or "")


def _shorter(tag: str) -> list[str]:
    """'zh-Hant-TW' -> ['zh-Hant-TW', 'zh-Hant', 'zh']: the tag, then its language alone."""
    parts = tag.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def locale_candidates(*, requested: str = "", channel: str, recipient: str = "", account_default: str = "") -> list[str]:
    """The locales to try, best first, without duplicates, ending in English. Anything unknown or
    malformed is skipped, never an error."""
    found: list[str] = []

    def add(tag: str | None) -> None:
        canonical = locale_canonical(tag) if tag else None
        for candidate in _shorter(canonical) if canonical else []:
            for one in (candidate, ALIASES.get(candidate)):
                if one and one not in found:
                    found.append(one)

    add(requested)
    if channel in PHONE_CHANNELS and recipient:
        add(country_locale(recipient))
    add(account_default)
    add(FALLBACK)
    return found
