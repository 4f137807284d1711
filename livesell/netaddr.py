"""The client's address, seen through the reverse proxies the operator trusts.

``X-Forwarded-For`` is read only when the direct peer is one of ``trusted_proxies``; the
client is then the rightmost address in the header that is not itself a trusted proxy.
Anyone else sending the header is ignored, so a client cannot pick its own address to slip
past a per-address limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``trusted_proxies`` entries (addresses or CIDR ranges); ValueError names a bad one."""
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(entry) from None
    return tuple(out)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(remote: str | None, forwarded: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """The address to count a client by."""
    if not remote:
        return "?"
    if not forwarded or not trusted or not _trusted(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")[-20:]]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a garbled header: count the proxy, not a made-up name
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else remote
