"""The address policy: which resolved addresses a fetch may connect to."""

from __future__ import annotations

import ipaddress

import pytest

from pipeline.enrich.address_policy import AddressPolicy, AddressRefused, address_class

# (address, expected class or None for public, why the case is here)
ADDRESSES = [
    ("10.0.0.5", "private", "RFC 1918"),
    ("172.16.4.4", "private", "RFC 1918"),
    ("192.168.1.1", "private", "RFC 1918, home routers"),
    ("127.0.0.1", "loopback", "this machine"),
    ("127.255.0.9", "loopback", "all of 127/8 is loopback"),
    ("0.0.0.0", "unspecified", "connects to this machine on Linux"),
    ("169.254.169.254", "link-local", "cloud metadata endpoint"),
    ("224.0.0.251", "multicast", "mDNS group"),
    ("100.64.0.9", "carrier-grade NAT", "RFC 6598 shared address space"),
    ("240.0.0.1", "reserved", "class E"),
    ("255.255.255.255", "reserved", "limited broadcast"),
    ("192.0.0.8", "non-public", "IETF protocol assignments"),
    ("198.18.0.1", "private", "benchmarking range"),
    ("::1", "loopback", "IPv6 loopback"),
    ("::", "unspecified", "IPv6 unspecified"),
    ("fe80::1", "link-local", "IPv6 link-local"),
    ("fd00::5", "private", "IPv6 unique local (ULA)"),
    ("fc00::1", "private", "IPv6 unique local (ULA)"),
    ("fec0::1", "site-local", "deprecated IPv6 site-local"),
    ("ff02::1", "multicast", "IPv6 all-nodes"),
    ("fd00:ec2::254", "private", "cloud IPv6 metadata endpoint"),
    ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1 inside IPv6)", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.5", "private (IPv4 10.0.0.5 inside IPv6)", "IPv4-mapped private"),
    (
        "::ffff:169.254.169.254",
        "link-local (IPv4 169.254.169.254 inside IPv6)",
        "IPv4-mapped metadata endpoint",
    ),
    ("::ffff:8.8.8.8", "IPv4-mapped", "IPv4-mapped public: no resolver hands these out"),
    (
        "64:ff9b::a9fe:a9fe",
        "link-local (IPv4 169.254.169.254 inside IPv6)",
        "NAT64 well-known prefix reaches IPv4 through the local gateway",
    ),
    ("2002:a00:5::1", "private (IPv4 10.0.0.5 inside IPv6)", "6to4 of a private address"),
    ("2001:db8::1", "private", "IPv6 documentation"),
    ("93.184.215.14", None, "public IPv4"),
    ("8.8.8.8", None, "public IPv4"),
    ("2606:4700:4700::1111", None, "public IPv6"),
    ("64:ff9b::808:808", None, "NAT64 of a public address"),
]


@pytest.mark.parametrize(("address", "expected", "why"), ADDRESSES)
def test_address_class(address: str, expected: str | None, why: str) -> None:
    assert address_class(ipaddress.ip_address(address)) == expected, why


def _policy(**names: list[str]) -> AddressPolicy:
    table = {k.replace("_", "."): v for k, v in names.items()}
    return AddressPolicy.build(resolver=lambda host, port: table[host])


def test_public_name_resolves_to_its_first_address() -> None:
    policy = _policy(cdn_test=["93.184.215.14", "2606:4700:4700::1111"])
    assert policy.resolve("cdn.test", 443) == "93.184.215.14"


def test_one_private_answer_taints_the_name() -> None:
    # A name answering with a public and a private address would let the connection land on
    # either; the whole name is refused.
    policy = _policy(mixed_test=["93.184.215.14", "10.1.2.3"])
    with pytest.raises(AddressRefused, match=r"^private address 10\.1\.2\.3$"):
        policy.resolve("mixed.test", 80)


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("169.254.169.254", "link-local address 169.254.169.254"),
        ("[::1]", "loopback address ::1"),
        ("0.0.0.0", "unspecified address 0.0.0.0"),
    ],
)
def test_ip_literals_are_checked_without_resolving(host: str, message: str) -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("a literal must not be resolved")

    with pytest.raises(AddressRefused, match=message):
        AddressPolicy.build(resolver=no_dns).resolve(host, 80)


def test_allow_networks_admits_only_what_it_names() -> None:
    policy = AddressPolicy.build(
        allow_networks=["127.0.0.1/32"], resolver=lambda h, p: ["127.0.0.1"]
    )
    assert policy.resolve("cdn.test", 80) == "127.0.0.1"
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) == "loopback address 127.0.0.2"
    # The IPv6 spelling of an allowed IPv4 address is not the allowed address.
    assert policy.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is not None


def test_unresolvable_names_are_refused_with_the_resolver_reason() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    with pytest.raises(AddressRefused, match="cannot resolve nowhere.test: Name or service"):
        AddressPolicy.build(resolver=failing).resolve("nowhere.test", 80)
    with pytest.raises(AddressRefused, match="no addresses"):
        AddressPolicy.build(resolver=lambda h, p: []).resolve("empty.test", 80)


def test_system_resolver_goes_through_getaddrinfo_which_tests_keep_on_loopback() -> None:
    # tests/conftest.py blocks lookups of non-loopback names; the default policy resolves
    # "localhost" for real and refuses it, and a blocked lookup becomes a refusal.
    policy = AddressPolicy.build()
    with pytest.raises(AddressRefused, match="loopback address"):
        policy.resolve("localhost", 80)
