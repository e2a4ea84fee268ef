"""Celery workers keep Django's logging, so the code-scrubbing filter applies there too."""
import io
import logging

from celery import signals

from otpservice.logging import ScrubCodesFilter


def test_worker_logging_setup_keeps_the_scrubbing_handler_and_redacts_codes():
    receivers = signals.setup_logging.send(sender=None, loglevel=logging.INFO, logfile=None, format="", colorize=False)

    assert receivers, "without a receiver Celery installs its own, unfiltered handlers"
    root = logging.getLogger()
    scrubbing = [h for h in root.handlers if any(isinstance(f, ScrubCodesFilter) for f in h.filters)]
    assert scrubbing
    stream = io.StringIO()
    scrubbing[0].setStream(stream)
    logging.getLogger("celery.app.trace").warning("sent 493817 to +14155552671")
    assert "493817" not in stream.getvalue()
    assert "[redacted]" in stream.getvalue()
