"""Which network addresses a supplier may make the service call (its webhook), ADR 0017.

A webhook's URL is the supplier's to choose, and the worker posts to it from inside the
service's network: without a rule, a supplier's staff (or a stolen portal session) could make
the worker call the database's host, the cloud's metadata address or an admin port. Only
globally routable addresses are called unless the deployment allows private ones.
"""

from __future__ import annotations

import ipaddress

# Names that never leave the machine or the site (RFC 6761, RFC 6762, RFC 8375, common use).
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")


def public_address(text: str) -> bool:
    """Whether `text`, an IPv4 or IPv6 address, is globally routable (an IPv4 address mapped
    into IPv6 is judged as the IPv4 one)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def local_host(host: str) -> bool:
    """Whether a URL's host is, on its face, not a public one: a non-public address literal,
    or a name of this machine or a local network. Other names are judged when resolved."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return name == "localhost" or "." not in name or name.endswith(LOCAL_SUFFIXES)
    return not public_address(name)
