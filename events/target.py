"""A webhook URL checked and resolved: only http(s), and (unless allowed) only public addresses.

Checked when an endpoint is saved and again before every attempt, and the attempt connects to the
address checked here (transport.py), so a DNS answer that changes in between (rebinding) cannot
send it anywhere else.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .addresses import address_refusal
from .conf import webhook_setting
from .exceptions import WebhookUrlInvalid

URL_MAX_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or IP address, without brackets
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...] = ()

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _refuse(reason: str, message: str, **details) -> WebhookUrlInvalid:
    return WebhookUrlInvalid(f"Invalid webhook URL: {message}", details={"field": "url", "reason": reason, **details})


def url_parse(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's parts, or WebhookUrlInvalid saying what is wrong with it (no DNS yet)."""
    allow_private = webhook_setting("OTP_WEBHOOKS_ALLOW_PRIVATE") if allow_private is None else allow_private
    if len(url) > URL_MAX_LENGTH:
        raise _refuse("too_long", f"at most {URL_MAX_LENGTH} characters")
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise _refuse("malformed", "no spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError:
        raise _refuse("malformed", "not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _refuse("scheme", "only https URLs (http too with OTP_WEBHOOKS_ALLOW_PRIVATE)")
    if scheme != "https" and not allow_private:
        raise _refuse("https_required", "must use https")
    if parts.username is not None or parts.password is not None:
        raise _refuse("credentials", "no user name or password in the URL; the signature authenticates the sender")
    if parts.fragment or url.endswith("#"):
        raise _refuse("fragment", "no #fragment")
    if not hostname:
        raise _refuse("host", "a host name is required")
    try:
        host = str(ipaddress.ip_address(hostname))
    except ValueError:
        try:
            host = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise _refuse("host", "not a valid host name") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if not path.isascii():
        raise _refuse("malformed", "the path and query must be ASCII (percent-encode them)")
    return Target(scheme=scheme, host=host, port=port or DEFAULT_PORTS[scheme], path=path)


def url_resolve(target: Target, *, allow_private: bool | None = None) -> Target:
    """`target` with the addresses its host resolves to, every one allowed; WebhookUrlInvalid otherwise."""
    allow_private = webhook_setting("OTP_WEBHOOKS_ALLOW_PRIVATE") if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise _refuse("unresolvable", f"{target.host} does not resolve", host=target.host) from None
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0])
        if text not in addresses:
            addresses.append(text)
    if not allow_private:
        for text in addresses:
            reason = address_refusal(ipaddress.ip_address(text))
            if reason is not None:
                raise _refuse(
                    reason, f"{target.host} resolves to a {reason.replace('_', '-')} address ({text})",
                    host=target.host, address=text,
                )
    if not addresses:
        raise _refuse("unresolvable", f"{target.host} does not resolve", host=target.host)
    return Target(target.scheme, target.host, target.port, target.path, tuple(addresses))


def url_check(url: str) -> Target:
    """Parse and resolve: what saving an endpoint and each attempt ask."""
    return url_resolve(url_parse(url))
