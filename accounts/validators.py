"""Parsing and validation of per-account abuse settings: rates, destination lists, number types."""
from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError

# django-ratelimit's rate syntax, matched whole: "5/5m" is five per five minutes, "20/h" per hour.
RATE_PATTERN = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)?([smhd])", re.ASCII)
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# Number types from phonenumbers.PhoneNumberType, by name.
NUMBER_TYPES = frozenset(
    name for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper() and isinstance(value, int)
)


def rate_parse(rate: str) -> tuple[int, int]:
    """'5/5m' -> (5, 300): the count and the window in seconds; ValueError when malformed."""
    match = RATE_PATTERN.fullmatch(rate.strip())
    if not match:
        raise ValueError(f"{rate!r} is not a rate like '5/5m', '20/h' or '100/m'")
    count, multiplier, period = match.groups()
    return int(count), int(multiplier or 1) * PERIOD_SECONDS[period]


def validate_rate(value: str) -> None:
    try:
        rate_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _tokens(value: str) -> list[str]:
    return [token.strip() for token in re.split(r"[,\s]+", value or "") if token.strip()]


def destinations_parse(value: str) -> tuple[frozenset[str], frozenset[int]]:
    """'US, +44, 33' -> ({'US'}, {44, 33}): ISO regions and country calling codes.

    An empty value means every destination is allowed.
    """
    regions: set[str] = set()
    codes: set[int] = set()
    for token in _tokens(value):
        digits = token[1:] if token.startswith("+") else token
        if digits.isascii() and digits.isdigit():
            code = int(digits)
            if code not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                raise ValueError(f"{token!r} is not a country calling code")
            codes.add(code)
        elif token.upper() in phonenumbers.SUPPORTED_REGIONS:
            regions.add(token.upper())
        else:
            raise ValueError(f"{token!r} is neither an ISO region code (US, GB) nor a calling code (+44)")
    return frozenset(regions), frozenset(codes)


def validate_destinations(value: str) -> None:
    try:
        destinations_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def number_types_parse(value: str) -> frozenset[str]:
    """'MOBILE, FIXED_LINE_OR_MOBILE' -> the set of phonenumbers type names."""
    names = {token.upper() for token in _tokens(value)}
    unknown = sorted(names - NUMBER_TYPES)
    if unknown:
        raise ValueError(f"Unknown number types: {', '.join(unknown)} (known: {', '.join(sorted(NUMBER_TYPES))})")
    return frozenset(names)


def validate_number_types(value: str) -> None:
    try:
        number_types_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


# BCP 47 tags as services use them: language, optional script, region and variants ("pt-BR",
# "zh-Hant-TW", "sr-Latn"); extensions and private use are not needed to pick a message's language.
LOCALE_PATTERN = re.compile(
    r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?((?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)",
    re.ASCII | re.IGNORECASE,
)
LOCALE_MAX_LENGTH = 35
# A host name: labels of letters, digits and hyphens, at least one dot, no scheme, port or path.
DOMAIN_PATTERN = re.compile(
    r"(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII
)
# The Android SMS Retriever app hash: 11 characters of base64 (Google's AppSignatureHelper).
ANDROID_APP_HASH_PATTERN = re.compile(r"[A-Za-z0-9+/]{11}", re.ASCII)


def locale_canonical(value: str) -> str | None:
    """'PT_br' -> 'pt-BR', 'zh-hant-tw' -> 'zh-Hant-TW'; None when it is not a BCP 47 language tag."""
    if not isinstance(value, str) or len(value) > LOCALE_MAX_LENGTH:
        return None
    match = LOCALE_PATTERN.fullmatch(value.strip().replace("_", "-"))
    if not match:
        return None
    language, script, region, variants = match.groups()
    parts = [language.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts) + variants.lower()


def validate_locale(value: str) -> None:
    if value and locale_canonical(value) != value:
        raise ValidationError(
            f"{value!r} is not a canonical BCP 47 language tag such as en, fr, pt-BR or zh-Hant", code="invalid"
        )


def validate_webotp_domain(value: str) -> None:
    if value and not DOMAIN_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{value!r} is not a lower-case host name such as example.com (no scheme, port or path)", code="invalid"
        )


def validate_android_app_hash(value: str) -> None:
    if value and not ANDROID_APP_HASH_PATTERN.fullmatch(value):
        raise ValidationError("The Android app hash is 11 characters of base64 (A-Z, a-z, 0-9, + and /)", code="invalid")
