"""Pure destination rules against SMS pumping: allowed countries and phone number types."""
from __future__ import annotations

import phonenumbers

from otpservice.errors import ServiceError

from .exceptions import DestinationNotAllowed, NumberTypeNotAllowed
from .policy import Destinations

NOWHERE: Destinations = (frozenset(), frozenset())
HIGH_RISK_REASON = "high_risk_destination"

TYPE_NAMES = {
    value: name for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper() and isinstance(value, int)
}


def destination_refusal(
    *,
    channel: str,
    number: str,
    destinations: Destinations,
    number_types: frozenset[str],
    high_risk: Destinations = NOWHERE,
    high_risk_allowed: Destinations = NOWHERE,
) -> ServiceError | None:
    """Why `number` (E.164, already validated) may not get `channel` messages, or None.

    `destinations` is (ISO regions, calling codes), both empty for "everywhere"; `number_types`
    the phonenumbers type names accepted, empty for "any"; `high_risk` the ranges refused unless
    `high_risk_allowed` names them too.
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
    if _covers(high_risk, region, parsed.country_code) and not _covers(high_risk_allowed, region, parsed.country_code):
        return DestinationNotAllowed(
            f"Destination not allowed: {channel} to {region or calling_code} ({calling_code}) is a high-risk "
            "range (satellite, international network or SMS pumping) an operator has not enabled for this account",
            details={
                "field": field, "channel": channel, "region": region, "calling_code": calling_code,
                "reason": HIGH_RISK_REASON,
            },
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


def _covers(destinations: Destinations, region: str, calling_code: int) -> bool:
    regions, codes = destinations
    return region in regions or calling_code in codes
