"""Refusals of the destination controls (codes in docs/rate-limits.md; the daily spend cap is wallet's)."""
from otpservice.errors import ServiceError


class DestinationNotAllowed(ServiceError):  # noqa: N818 (named by its error code, like the others)
    code = "destination_not_allowed"
    message = "Destination not allowed"


class NumberTypeNotAllowed(ServiceError):  # noqa: N818
    code = "number_type_not_allowed"
    message = "Number type not allowed"

