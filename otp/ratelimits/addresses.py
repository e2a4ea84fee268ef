"""Pure helpers for the end-user IP: the client address behind our proxies, and its limit bucket."""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

# The shared bucket for a request whose address cannot be read (e.g. a Unix socket without a
# proxy header): stricter than skipping the limit.
UNKNOWN = "unknown"
# IPv6 users get a /64 (one customer line); keying single addresses would let one user rotate freely.
IPV6_PREFIX = 64


def parse_ip(value: str) -> str | None:
    """A normalized IP string, or None; tolerates a port ('1.2.3.4:80', '[::1]:80').

    IPv4-mapped IPv6 addresses become their IPv4 form, so both spellings share one bucket.
    """
    text = value.strip() if isinstance(value, str) else ""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            ip = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.compressed
    return None


def client_address(*, remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The address that connected to the first of our `trusted_proxies` proxies.

    Each proxy of ours appends the address it received the connection from to X-Forwarded-For, so
    the entry `trusted_proxies` places from the right was written by our outermost proxy. A client
    can only add entries to the left of it, so nothing it sends moves that entry. With no trusted
    proxies, or a header shorter than the proxy chain (a request that did not come through it), or
    an unreadable entry, the TCP peer (REMOTE_ADDR) is the client.
    """
    if trusted_proxies > 0 and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        if len(hops) >= trusted_proxies:
            ip = parse_ip(hops[-trusted_proxies])
            if ip is not None:
                return ip
    return parse_ip(remote_addr) or UNKNOWN


def end_user_ip(*, metadata: Mapping[str, Any] | None, client: str | None) -> tuple[str, str] | None:
    """(ip, source): `metadata.ip_address` when it is a valid IP, else the client address."""
    given = metadata.get("ip_address") if isinstance(metadata, Mapping) else None
    ip = parse_ip(given) if isinstance(given, str) else None
    if ip is not None:
        return ip, "metadata.ip_address"
    if client:
        return client, "client_address"
    return None


def ip_bucket(ip: str) -> str:
    """The limit key of an address: IPv4 as is, IPv6 by its /64 network."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(parsed, ipaddress.IPv6Address):
        network = ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False)
        return network.compressed
    return parsed.compressed
