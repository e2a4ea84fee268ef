"""Errors of the templates API."""
from otpservice.errors import NotFound, ServiceError


class TemplateInvalid(ServiceError):
    code = "invalid_template"
    message = "Invalid template"


class TemplateRegistered(ServiceError):
    status_code = 409
    code = "template_registered"
    message = "Template registered: carrier-registered text cannot be edited, only deactivated"


class TemplateNotFound(NotFound):
    code = "template_not_found"
    message = "Template not found"
