"""Log filter that removes anything shaped like an OTP from provider and task log lines."""
import logging
import re

# 4–8 digit runs standing alone (not inside an id, a UUID or a longer number): the shape of
# every code this service issues.
# Provider error numbers ("Twilio error 21211") stay readable: operators need them.
_CODE_SHAPE = re.compile(r"(?<![\w.-])(?<!error )\d{4,8}(?![\w-])")
_SCRUBBED_LOGGERS = ("twilio", "sendgrid", "celery", "otp", "python_http_client", "urllib3")


class ScrubCodesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_SCRUBBED_LOGGERS):
            record.msg = _CODE_SHAPE.sub("[redacted]", record.getMessage())
            record.args = None
        return True
