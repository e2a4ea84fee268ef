"""Celery workers keep Django's logging, so the code-scrubbing filter applies there too."""
import io
import logging

import pytest
from celery import signals

from otpservice.logging import ScrubCodesFilter, codes_redacted


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_worker_logging_setup_keeps_the_scrubbing_handler_and_redacts_codes(restore_logging):
    receivers = signals.setup_logging.send(sender=None, loglevel=logging.INFO, logfile=None, format="", colorize=False)

    assert receivers, "without a receiver Celery installs its own, unfiltered handlers"
    root = logging.getLogger()
    scrubbing = [h for h in root.handlers if any(isinstance(f, ScrubCodesFilter) for f in h.filters)]
    assert scrubbing
    stream = io.StringIO()
    scrubbing[0].setStream(stream)
    with codes_redacted("493817"):
        logging.getLogger("celery.app.trace").warning("sent 493817 to +14155552671 via port 6379")
    assert "493817" not in stream.getvalue()
    assert "port 6379" in stream.getvalue()
    assert "[redacted]" in stream.getvalue()


def test_a_traceback_carrying_a_code_is_scrubbed_too(restore_logging):
    signals.setup_logging.send(sender=None, loglevel=logging.INFO, logfile=None, format="", colorize=False)
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, ScrubCodesFilter) for f in h.filters))
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        with codes_redacted("764048"):
            raise KeyError("no variable near 764048")
    except KeyError:
        logging.getLogger("otp.tasks").exception("rendering failed")
    assert "KeyError" in stream.getvalue()
    assert "764048" not in stream.getvalue()
