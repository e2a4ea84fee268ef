"""Which addresses and URLs a webhook may go to (SSRF): hypothesis over the refused ranges."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.addresses import address_refusal
from events.exceptions import WebhookUrlInvalid
from events.target import url_parse, url_resolve

REFUSED_V4 = {
    "127.0.0.0/8": "loopback",
    "10.0.0.0/8": "private",
    "172.16.0.0/12": "private",
    "192.168.0.0/16": "private",
    "169.254.0.0/16": "link_local",
    "100.64.0.0/10": "shared",
    "224.0.0.0/4": "multicast",
    "0.0.0.0/8": None,  # unspecified or "this network": refused either way
    "240.0.0.0/4": None,
}
REFUSED_V6 = ["::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "::/128"]


def _in(network: str):
    net = ipaddress.ip_network(network)
    return st.integers(0, net.num_addresses - 1).map(lambda offset: net.network_address + offset)


@given(st.sampled_from(sorted(REFUSED_V4)).flatmap(lambda net: st.tuples(st.just(net), _in(net))))
def test_every_address_of_a_refused_ipv4_range_is_refused(case):
    network, address = case
    reason = address_refusal(address)
    assert reason is not None
    if REFUSED_V4[network] and address not in ipaddress.ip_network("169.254.169.254/32"):
        assert reason == REFUSED_V4[network] or reason == "metadata"


@given(st.sampled_from(sorted(REFUSED_V4)).flatmap(_in))
def test_ipv6_spellings_of_refused_ipv4_addresses_are_refused(address):
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address(f"64:ff9b::{address}")
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
    assert address_refusal(mapped) and address_refusal(nat64) and address_refusal(sixtofour)


@given(st.sampled_from(REFUSED_V6).flatmap(_in))
def test_every_address_of_a_refused_ipv6_range_is_refused(address):
    assert address_refusal(address) is not None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "169.254.170.2"]
)
def test_cloud_metadata_addresses_are_refused_as_metadata(address):
    assert address_refusal(ipaddress.ip_address(address)) == "metadata"


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450::1"])
def test_public_unicast_addresses_are_allowed(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://example.com/h", "https_required"),
        ("gopher://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://a@example.com/", "credentials"),
        ("https://example.com/h#frag", "fragment"),
        ("https://exa mple.com/", "malformed"),
        ("https://example.com:99999/", "malformed"),
        ("https://" + "a" * 2050 + ".com/", "too_long"),
        ("https://example.com/caf\u00e9", "malformed"),
        ("https://example.com/?q=\ud800", "malformed"),
    ],
)
def test_url_shapes_refused_before_any_dns(url, reason):
    with pytest.raises(WebhookUrlInvalid) as refused:
        url_parse(url, allow_private=False)
    assert refused.value.details["reason"] == reason


def test_a_url_keeps_its_path_query_port_and_idna_host():
    target = url_parse("https://BÜCHER.example:8443/in/hook?x=1", allow_private=False)
    assert (target.host, target.port, target.path) == ("xn--bcher-kva.example", 8443, "/in/hook?x=1")
    assert target.host_header == "xn--bcher-kva.example:8443"
    assert url_parse("https://[2001:db8::1]/", allow_private=False).host_header == "[2001:db8::1]"


@pytest.mark.parametrize("url", ["https://127.1/", "https://0x7f000001/", "https://017700000001/", "https://localhost/"])
def test_odd_spellings_of_loopback_are_refused_once_resolved(url):
    with pytest.raises(WebhookUrlInvalid) as refused:
        url_resolve(url_parse(url, allow_private=False), allow_private=False)
    assert refused.value.details["reason"] == "loopback"


def test_allow_private_lets_loopback_and_http_through():
    target = url_resolve(url_parse("http://127.0.0.1:8080/h", allow_private=True), allow_private=True)
    assert target.addresses == ("127.0.0.1",)
