"""One POST to the address a webhook URL was checked to resolve to, never to a fresh DNS answer.

urllib3 connects to the IP address while TLS still sends the host name (SNI) and verifies the
certificate against it, and the Host header names it. No redirect is followed, no retry is made
here (the delivery schedule retries), and the whole exchange is bounded by one wall-clock budget.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .target import Target

BODY_KEEP_BYTES = 1024  # of the receiver's answer, for the delivery log
USER_AGENT = "otpservice-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (timeout, refused, TLS)
    body: str
    duration_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _pool(target: Target, address: str, timeout: float, ca_certs: str | None) -> urllib3.HTTPConnectionPool:
    options = {"port": target.port, "timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, cert_reqs="CERT_REQUIRED", ca_certs=ca_certs, server_hostname=target.host,
            assert_hostname=target.host, **options,
        )
    return urllib3.HTTPConnectionPool(address, **options)


def _read_some(response, deadline: float) -> bytes:
    """At most BODY_KEEP_BYTES of the body, within the deadline (a slow drip is cut off)."""
    kept = b""
    while len(kept) < BODY_KEEP_BYTES and time.monotonic() < deadline:
        chunk = response.read(min(256, BODY_KEEP_BYTES - len(kept)))
        if not chunk:
            break
        kept += chunk
    return kept


def post(
    *, target: Target, address: str, body: bytes, headers: dict[str, str], timeout: float, ca_certs: str | None = None
) -> Answer:
    """POST `body` to `target` through `address`; any failure is an Answer with its error, never raised.
    `ca_certs`: a CA bundle instead of the system's trust store (tests)."""
    started = time.monotonic()
    deadline = started + timeout
    pool = _pool(target, address, timeout, ca_certs)
    sent = {
        **headers,
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    status, text, error = None, "", ""
    try:
        response = pool.urlopen(
            "POST", target.path, body=body, headers=sent, redirect=False, retries=False,
            preload_content=False, assert_same_host=False,
        )
        try:
            status = response.status
            text = _read_some(response, deadline).decode("utf-8", "replace")
        finally:
            response.release_conn()
    except NewConnectionError as exc:  # before the timeout: urllib3 makes it a ConnectTimeoutError too
        error = f"connection failed: {_reason(exc)}"
    except Urllib3Timeout:
        error = f"timeout after {timeout:g} s"
    except SSLError as exc:
        error = f"TLS error: {_reason(exc)}"
    except (HTTPError, OSError) as exc:
        error = f"connection error: {_reason(exc)}"
    finally:
        pool.close()
    elapsed = time.monotonic() - started
    if status is not None and elapsed > timeout:
        error = f"timeout after {timeout:g} s"
        status = None
    if status is not None and not 200 <= status < 300:
        error = f"HTTP {status}"
    return Answer(status=status, body=text, duration_ms=round(elapsed * 1000), error=error)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300]
