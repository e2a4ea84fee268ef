"""Recipient and contact address validation and normalization (pure helpers): email-validator
without DNS, phonenumbers' validity in E.164. Sessions (otp) and contacts share these rules."""
import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# "+" then 7–15 ASCII digits, first not zero: E.164's shape before phonenumbers judges validity.
_E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)


class RecipientError(ValueError):
    pass


def normalize_email(value: str) -> str:
    """The address with its domain lower-cased; no DNS lookups (deliverability off)."""
    if len(value) > 254:
        raise RecipientError("email address is longer than 254 characters")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise RecipientError(f"not a valid email address ({exc})") from exc
    return f"{result.local_part}@{result.ascii_domain.lower()}"


def normalize_phone(value: str) -> str:
    """A valid phone number in E.164, refusing anything but '+' and ASCII digits."""
    if not _E164_SHAPE.fullmatch(value):
        raise RecipientError("phone number must be in E.164 format, e.g. +14155552671")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise RecipientError("phone number could not be parsed") from exc
    if not phonenumbers.is_valid_number(number):
        raise RecipientError("phone number is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
