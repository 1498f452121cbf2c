"""Which IP addresses Crestwatch may connect to when it follows a URL someone else wrote.

Media URLs come from strangers' posts, so a URL (or a redirect, or a DNS answer) pointing at
the machine itself, the office network or a cloud metadata endpoint must never be fetched.
Only globally routable unicast addresses pass; IPv6 forms that carry an IPv4 address inside
(IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# host, port -> addresses as text, in the order to try them
Resolver = Callable[[str, int], Sequence[str]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598, shared by ISPs' NAT
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
# Not routable on the internet, but older Pythons' `is_global` says otherwise.
_IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")


class AddressRefused(Exception):
    """A host or address the policy will not connect to; the message says which and why."""


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), addresses de-duplicated in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_class(address: IPAddress) -> str | None:
    """Why `address` is not a public address ("private", "loopback", ...), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = address_class(inner)
            if reason is not None:
                return f"{reason} (IPv4 {inner} inside IPv6)"
            if address.ipv4_mapped is not None:
                # No resolver answers with these for a public name; refuse whatever they carry.
                return "IPv4-mapped"
            # NAT64/6to4 of a public IPv4 address: how IPv6-only networks reach IPv4 hosts.
            return None
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (_in(address, _CGNAT), "carrier-grade NAT"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        # Documentation, benchmarking and protocol-assignment ranges and the like.
        (not address.is_global or _in(address, _IETF_PROTOCOL), "non-public"),
    ]
    return next((name for hit, name in checks if hit), None)


@dataclass(frozen=True)
class AddressPolicy:
    """Resolves a host and refuses it unless every address it resolves to is public.

    `allow_networks` lets chosen networks through anyway (a test server on 127.0.0.1, a
    vetted internal CDN); `resolver` replaces the system resolver (tests map names to
    addresses without DNS).
    """

    allow_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver)

    @classmethod
    def build(
        cls,
        *,
        allow_networks: Iterable[IPNetwork | str] = (),
        resolver: Resolver | None = None,
    ) -> AddressPolicy:
        networks = tuple(ipaddress.ip_network(n) for n in allow_networks)
        return cls(allow_networks=networks, resolver=resolver or system_resolver)

    def refusal(self, address: IPAddress) -> str | None:
        """Why the policy refuses `address`, or None when it may be connected to."""
        if any(_in(address, net) for net in self.allow_networks):
            return None
        reason = address_class(address)
        return f"{reason} address {address}" if reason else None

    def resolve(self, host: str, port: int) -> str:
        """The address to connect to for `host`; raises `AddressRefused` when the host cannot
        be resolved or any of its addresses is refused (one bad answer taints the name)."""
        literal = _parse_ip(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            try:
                answers = self.resolver(host, port)
            except OSError as exc:
                raise AddressRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
            addresses = [a for a in map(_parse_ip, answers) if a is not None]
            if not addresses:
                raise AddressRefused(f"cannot resolve {host}: no addresses")
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise AddressRefused(reason)
        return str(addresses[0])


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None


def _in(address: IPAddress, network: IPNetwork) -> bool:
    # `in` across IP versions compares raw bits on some Pythons instead of answering False.
    return address.version == network.version and address in network
