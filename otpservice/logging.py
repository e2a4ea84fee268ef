"""Log filter that removes anything shaped like an OTP from provider and task log lines."""
import logging
import re

# 4–8 digit runs standing alone (not inside an id, a UUID or a longer number): the shape of
# every code this service issues.
# Provider error numbers ("Twilio error 21211") stay readable: operators need them.
_CODE_SHAPE = re.compile(r"(?<![\w.-])(?<!error )\d{4,8}(?![\w-])")
_SCRUBBED_LOGGERS = ("twilio", "sendgrid", "celery", "otp", "python_http_client", "urllib3")


_formatter = logging.Formatter()


def scrub(text: str) -> str:
    return _CODE_SHAPE.sub("[redacted]", text)


class ScrubCodesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_SCRUBBED_LOGGERS):
            record.msg = scrub(record.getMessage())
            record.args = None
            # A traceback's message and frames can hold the code too; formatters reuse exc_text.
            if record.exc_info and not record.exc_text:
                record.exc_text = _formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = scrub(record.exc_text)
            if record.stack_info:
                record.stack_info = scrub(record.stack_info)
        return True
