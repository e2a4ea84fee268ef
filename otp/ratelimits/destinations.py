"""Pure destination rules against SMS pumping: allowed countries and phone number types."""
from __future__ import annotations

import phonenumbers

from otpservice.errors import ServiceError

from .exceptions import DestinationNotAllowed, NumberTypeNotAllowed
from .policy import Destinations

TYPE_NAMES = {
    value: name for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper() and isinstance(value, int)
}


def destination_refusal(
    *, channel: str, number: str, destinations: Destinations, number_types: frozenset[str]
) -> ServiceError | None:
    """Why `number` (E.164, already validated) may not get `channel` messages, or None.

    `destinations` is (ISO regions, calling codes), both empty for "everywhere"; `number_types`
    the phonenumbers type names accepted, empty for "any".
    """
    parsed = phonenumbers.parse(number, None)
    region = phonenumbers.region_code_for_number(parsed) or ""
    calling_code = f"+{parsed.country_code}"
    field = f"recipients.{channel}"
    regions, codes = destinations
    if (regions or codes) and region not in regions and parsed.country_code not in codes:
        return DestinationNotAllowed(
            f"Destination not allowed: {channel} to {region or calling_code} ({calling_code}) "
            "is not enabled for this account",
            details={"field": field, "channel": channel, "region": region, "calling_code": calling_code},
        )
    type_name = TYPE_NAMES.get(phonenumbers.number_type(parsed), "UNKNOWN")
    if number_types and type_name not in number_types:
        return NumberTypeNotAllowed(
            f"Number type not allowed: {channel} is not sent to {type_name} numbers",
            details={
                "field": field,
                "channel": channel,
                "number_type": type_name,
                "allowed_number_types": sorted(number_types),
            },
        )
    return None
