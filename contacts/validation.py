"""Address rules of contacts (pure): the same as a session's recipients (otp/validation.py), which
contacts may not import: email-validator without DNS, phonenumbers' validity in E.164."""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)


class AddressError(ValueError):
    pass


def normalize_email(value: str) -> str:
    """The address with its domain lower-cased (as a session stores it)."""
    if len(value) > 254:
        raise AddressError("Email address is longer than 254 characters.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(f"Not a valid email address: {exc}") from exc
    return f"{result.local_part}@{result.ascii_domain.lower()}"


def normalize_phone(value: str) -> str:
    """A valid phone number in E.164: '+' and ASCII digits only, and a real number by phonenumbers."""
    if not _E164_SHAPE.fullmatch(value):
        raise AddressError("Phone number must be in E.164 format, e.g. +14155552671.")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise AddressError("Phone number could not be parsed.") from exc
    if not phonenumbers.is_valid_number(number):
        raise AddressError("Phone number is not a valid number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
