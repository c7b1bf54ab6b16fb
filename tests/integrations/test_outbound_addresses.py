"""The outbound-webhook address check compares addresses, not spellings: every IPv6 form of
a loopback, private or link-local address is refused, however it is written."""

import pytest

from followthrough.integrations.outbound import is_public, url_problem

HIDDEN = [
    "::ffff:127.0.0.1",  # IPv4-mapped, dotted
    "::ffff:7f00:1",  # IPv4-mapped, hex
    "[::1]",  # bracketed loopback
    "0:0:0:0:0:0:0:1",  # loopback, written out
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the cloud metadata address
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    "fe80::1%eth0",  # link-local with a scope
    "::ffff:10.0.0.1",
    "::",
    "0.0.0.0",  # noqa: S104 - a target we refuse, not a bind
    "ff02::1",  # multicast
]


@pytest.mark.parametrize("address", HIDDEN)
def test_it_refuses_every_spelling_of_a_private_address(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "::ffff:7f00:1", "::1",
                                     "0:0:0:0:0:0:0:1", "::127.0.0.1", "2002:7f00:1::",
                                     "64:ff9b::7f00:1"])
def test_it_refuses_a_webhook_url_with_a_hidden_loopback(settings, address):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert "private or local" in url_problem(f"http://[{address}]:8080/hook")


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "2002:808:808::1", "64:ff9b::808:808"])
def test_it_accepts_public_addresses_in_any_spelling(address):
    assert is_public(address)


def test_it_refuses_what_is_not_an_address():
    assert not is_public("localhost")
