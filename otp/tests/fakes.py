"""Loopback fakes of the Twilio and SendGrid HTTP APIs, and signers for their webhooks."""
from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from twilio.request_validator import RequestValidator


@dataclass
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names lower-cased
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None
    response_status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_json: Any = None


@dataclass(frozen=True)
class Reply:
    kind: str  # "ok" | "error" | "hang"
    status: int = 0
    code: int | None = None
    message: str = ""
    seconds: float = 0.0


class _FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1:0 that records requests and plays queued replies."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Called with each request before it is answered: a test's hook for a fault at that moment.
        self.on_request: Callable[[RecordedRequest], None] | None = None

    # Lifecycle -----------------------------------------------------------------------------------
    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Daemon handler threads: a hanging reply must not block shutdown.
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "fake server is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # Programming ---------------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str = "ok",
        *,
        status: int = 0,
        code: int | None = None,
        message: str = "",
        seconds: float = 5.0,
        times: int = 1,
    ) -> None:
        """Queue replies: "ok", "error" (status 400 by default; 429 and 5xx too) or "hang" (then ok)."""
        if kind not in ("ok", "error", "hang"):
            raise ValueError(f"unknown reply kind {kind!r}")
        reply = Reply(
            kind=kind,
            status=status or (400 if kind == "error" else 0),
            code=code,
            message=message,
            seconds=seconds if kind == "hang" else 0.0,
        )
        with self._lock:
            self._replies.extend([reply] * times)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._replies.clear()

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            return self.requests[-1]

    # Serving -------------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        record = RecordedRequest(method=handler.command, path=handler.path, headers=headers, body=body)
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            record.form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif content_type.startswith("application/json") and body:
            record.json = json.loads(body)
        with self._lock:
            reply = self._replies.popleft() if self._replies else Reply(kind="ok")
        if self.on_request is not None:
            self.on_request(record)
        status, response_headers, payload = self.render(record, reply)
        record.response_status, record.response_headers, record.response_json = (
            status, response_headers, payload
        )
        with self._lock:
            self.requests.append(record)
        if reply.kind == "hang" and self._stopping.wait(reply.seconds):
            return
        raw = json.dumps(payload).encode("utf-8") if payload is not None else b""
        try:
            handler.send_response(status)
            for name, value in {**response_headers, "Content-Length": str(len(raw))}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except ConnectionError:
            pass  # the client gave up (its timeout), as intended by a "hang"

    def render(self, request: RecordedRequest, reply: Reply) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


_TWILIO_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
}
_TWILIO_CODES = {400: 21211, 401: 20003, 404: 20404, 429: 20429}


class FakeTwilio(_FakeServer):
    """POST /2010-04-01/Accounts/<sid>/Messages.json answered like Twilio's Messages API."""

    def render(self, request: RecordedRequest, reply: Reply) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(request.path).path.split("/")  # "", "2010-04-01", "Accounts", sid, "Messages.json"
        route_ok = parts[:3] == ["", "2010-04-01", "Accounts"] and parts[4:] == ["Messages.json"]
        if request.method != "POST" or not route_ok:
            return self._error(404, None, "")
        if reply.kind == "error":
            return self._error(reply.status, reply.code, reply.message)
        form = request.form
        # Twilio's own validation of a create call, so a provider bug fails the way it would live.
        if not form.get("To"):
            return self._error(400, 21604, "")
        if not (form.get("Body") or form.get("ContentSid")):
            return self._error(400, 21602, "")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21603, "")
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        resource = {
            "sid": sid,
            "account_sid": parts[3],
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{parts[3]}/Messages/{sid}.json",
        }
        return 201, {"Content-Type": "application/json"}, resource

    @staticmethod
    def _error(status: int, code: int | None, message: str) -> tuple[int, dict[str, str], Any]:
        code = code or _TWILIO_CODES.get(status, 20500 if status >= 500 else status)
        payload = {
            "code": code,
            "message": message or _TWILIO_MESSAGES.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        headers = {"Content-Type": "application/json"}
        if status == 429:
            headers["Retry-After"] = "1"
        return status, headers, payload


_SENDGRID_MESSAGES = {
    400: "The to email does not contain a valid address.",
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "access forbidden",
    429: "too many requests",
}


class FakeSendGrid(_FakeServer):
    """POST /v3/mail/send answered like SendGrid: 202, empty body, X-Message-Id."""

    def render(self, request: RecordedRequest, reply: Reply) -> tuple[int, dict[str, str], Any]:
        if request.method != "POST" or urlsplit(request.path).path != "/v3/mail/send":
            return self._error(404, "resource not found")
        if reply.kind == "error":
            return self._error(reply.status, reply.message)
        mail = request.json or {}
        if not (mail.get("from", {}).get("email") and mail.get("personalizations") and mail.get("content")):
            return self._error(400, "The from, personalizations and content fields are required.")
        return 202, {"X-Message-Id": uuid.uuid4().hex[:22]}, None

    @staticmethod
    def _error(status: int, message: str) -> tuple[int, dict[str, str], Any]:
        text = message or _SENDGRID_MESSAGES.get(status, "internal error")
        return status, {"Content-Type": "application/json"}, {"errors": [{"message": text, "field": None}]}


# Webhook signers -----------------------------------------------------------------------------------


def twilio_signature(*, auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for this POST."""
    return RequestValidator(auth_token).compute_signature(url, params)


@dataclass(frozen=True)
class SendGridSigner:
    private_key: ec.EllipticCurvePrivateKey
    public_key: str  # base64 DER, the form SendGrid shows in its settings

    def sign(self, *, payload: bytes, timestamp: str) -> str:
        """The X-Twilio-Email-Event-Webhook-Signature header for this body and timestamp."""
        signature = self.private_key.sign(timestamp.encode("utf-8") + payload, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")


def sendgrid_signer() -> SendGridSigner:
    """A fresh P-256 key pair, the curve SendGrid signs event webhooks with."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SendGridSigner(private_key=private_key, public_key=base64.b64encode(der).decode("ascii"))
