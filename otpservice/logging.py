"""Log filter that redacts the one-time codes this process holds right now, and only those.

A code exists in clear only while a worker sends it (or a sandbox request generates it): that code
is registered with `codes_redacted()` for the time, and every log record emitted meanwhile, from
any logger, has it replaced — in its message, its arguments, its traceback and stack. An exception
that carries a code out of that block keeps the codes with it, so the task tracer that logs it
afterwards is scrubbed too. Ports, PIDs, line numbers and provider error numbers stay readable.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REDACTED = "[redacted]"
_EXCEPTION_CODES = "_otp_codes"
_known: ContextVar[tuple[str, ...]] = ContextVar("otp_known_codes", default=())
_formatter = logging.Formatter()


@contextmanager
def codes_redacted(*codes: str) -> Iterator[None]:
    """Redact these codes from every log record emitted inside the block (and from an exception
    that leaves it)."""
    held = tuple(code for code in codes if code)
    token = _known.set(_known.get() + held)
    try:
        yield
    except BaseException as exc:
        setattr(exc, _EXCEPTION_CODES, (*getattr(exc, _EXCEPTION_CODES, ()), *held))
        raise
    finally:
        _known.reset(token)


def scrub(text: str, codes: tuple[str, ...] | None = None) -> str:
    """`text` with every known code (a digit run of its own, not part of a longer number) redacted."""
    for code in _known.get() if codes is None else codes:
        text = re.sub(rf"(?<!\d){re.escape(code)}(?!\d)", REDACTED, text)
    return text


def codes_of(exc: BaseException | None) -> tuple[str, ...]:
    """The codes an exception (or one in its chain) carried out of a codes_redacted() block."""
    codes: tuple[str, ...] = ()
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        codes += getattr(exc, _EXCEPTION_CODES, ())
        exc = exc.__cause__ or exc.__context__
    return codes


class ScrubCodesFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        codes = _known.get() + codes_of(record.exc_info[1] if record.exc_info else None)
        if not codes:
            return True
        record.msg = scrub(record.getMessage(), codes)
        record.args = None
        # A traceback's message and frames can hold the code too; formatters reuse exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, codes)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, codes)
        return True
