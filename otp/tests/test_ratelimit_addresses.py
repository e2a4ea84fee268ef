"""The client-address helper: REMOTE_ADDR, or the entry our proxies wrote into X-Forwarded-For."""
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otp.ratelimits.addresses import UNKNOWN, client_address, end_user_ip, ip_bucket, parse_ip


def test_without_trusted_proxies_x_forwarded_for_is_ignored():
    assert client_address(remote_addr="203.0.113.7", forwarded_for="198.51.100.1", trusted_proxies=0) == "203.0.113.7"


def test_one_trusted_proxy_takes_the_right_most_entry():
    header = "1.1.1.1, 2.2.2.2, 198.51.100.9"
    assert client_address(remote_addr="10.0.0.2", forwarded_for=header, trusted_proxies=1) == "198.51.100.9"


def test_two_trusted_proxies_take_the_second_entry_from_the_right():
    header = "1.1.1.1, 198.51.100.9, 10.0.0.5"
    assert client_address(remote_addr="10.0.0.2", forwarded_for=header, trusted_proxies=2) == "198.51.100.9"


@pytest.mark.parametrize("header", ["", "198.51.100.9"])
def test_a_header_shorter_than_the_proxy_chain_falls_back_to_remote_addr(header):
    assert client_address(remote_addr="10.0.0.2", forwarded_for=header, trusted_proxies=2) == "10.0.0.2"


@pytest.mark.parametrize("entry", ["garbage", "", "unknown", "999.1.1.1"])
def test_an_unreadable_entry_falls_back_to_remote_addr(entry):
    header = f"1.1.1.1, {entry}"
    assert client_address(remote_addr="10.0.0.2", forwarded_for=header, trusted_proxies=1) == "10.0.0.2"


def test_an_empty_or_unreadable_remote_addr_is_the_shared_unknown_bucket():
    assert client_address(remote_addr="", forwarded_for="", trusted_proxies=0) == UNKNOWN
    assert client_address(remote_addr="unix:/run/gunicorn.sock", forwarded_for="", trusted_proxies=0) == UNKNOWN


def test_a_client_that_ends_its_own_header_with_a_comma_cannot_shift_the_entries():
    # nginx appends ", $remote_addr" to whatever the client sent, trailing comma included.
    assert client_address(remote_addr="10.0.0.2", forwarded_for="6.6.6.6,, 198.51.100.9", trusted_proxies=1) == (
        "198.51.100.9"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("198.51.100.9", "198.51.100.9"),
        (" 198.51.100.9 ", "198.51.100.9"),
        ("198.51.100.9:4711", "198.51.100.9"),
        ("2001:DB8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:198.51.100.9", "198.51.100.9"),
        ("not an ip", None),
        ("", None),
    ],
)
def test_parse_ip_normalizes_ports_case_and_ipv4_mapped_addresses(value, expected):
    assert parse_ip(value) == expected


def test_ipv6_addresses_of_one_64_share_a_bucket_and_ipv4_addresses_do_not():
    assert ip_bucket("2001:db8:1:2::1") == ip_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert ip_bucket("2001:db8:1:3::1") != ip_bucket("2001:db8:1:2::1")
    assert ip_bucket("198.51.100.9") == "198.51.100.9"
    assert ip_bucket("198.51.100.10") != ip_bucket("198.51.100.9")


def test_end_user_ip_prefers_a_valid_metadata_ip_address():
    assert end_user_ip(metadata={"ip_address": "198.51.100.9"}, client="10.0.0.2") == (
        "198.51.100.9",
        "metadata.ip_address",
    )


@pytest.mark.parametrize("metadata", [{}, {"ip_address": "nope"}, {"ip_address": 42}, {"ip_address": None}, None])
def test_end_user_ip_falls_back_to_the_client_address(metadata):
    assert end_user_ip(metadata=metadata, client="10.0.0.2") == ("10.0.0.2", "client_address")


def test_end_user_ip_is_none_without_metadata_or_client():
    assert end_user_ip(metadata={}, client=None) is None


ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
# Whatever a client may send: any text, commas included, even things that look like addresses.
client_junk = st.lists(st.one_of(ips, st.text(max_size=20)), max_size=5).map(", ".join)


@given(junk=client_junk, client=ips, proxies=st.lists(ips, min_size=0, max_size=3))
def test_nothing_a_client_prepends_changes_the_address_our_proxies_recorded(junk, client, proxies):
    # Our first proxy appends the client to whatever it sent; each further proxy appends the previous one.
    header = (f"{junk}, " if junk else "") + ", ".join([client, *proxies])
    result = client_address(remote_addr="10.9.9.9", forwarded_for=header, trusted_proxies=len(proxies) + 1)
    expected = ipaddress.ip_address(client)
    if isinstance(expected, ipaddress.IPv6Address) and expected.ipv4_mapped is not None:
        expected = expected.ipv4_mapped
    assert result == expected.compressed
