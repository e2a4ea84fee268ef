"""Errors of the contacts API."""
from otpservice.errors import NotFound, ServiceError


class ContactNotFound(NotFound):
    code = "contact_not_found"
    message = "Contact not found"


class ContactExists(ServiceError):
    status_code = 409
    code = "contact_exists"
    type = "validation_error"
    message = "Contact exists"
