"""Addresses that smuggle another destination through a local domain are never relayed."""
import pytest

from herald_fixture import LOCAL_USERS

LOCAL_DOMAIN = "local.herald.test"

TRICKS = [
    f"user%victim.example.net@{LOCAL_DOMAIN}",           # percent hack
    f'"user@victim.example.net"@{LOCAL_DOMAIN}',          # quoted local part with @
    f"@{LOCAL_DOMAIN}:user@victim.example.net",           # source route through us
    f"@{LOCAL_DOMAIN},@other.test:user@victim.example.net",
    f"victim.example.net!user@{LOCAL_DOMAIN}",            # bang path
    f'"victim.example.net!user"@{LOCAL_DOMAIN}',
    f'"user%victim.example.net"@{LOCAL_DOMAIN}',
    "user@victim.example.net@" + LOCAL_DOMAIN,
    "user@[127.0.0.1]",                                    # address literal, not local
]


@pytest.mark.parametrize("address", TRICKS)
def test_trick_address_is_refused(make_herald, address):
    h = make_herald(relay={"networks": []}, local={"recipients": LOCAL_USERS, "domains": [LOCAL_DOMAIN]})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        assert c.cmd("MAIL FROM:<someone@client.herald.test>")[0] == 250
        code, texts = c.cmd(f"RCPT TO:<{address}>")
        assert 500 <= code < 600, f"{address!r} got {code} {texts}"
        # A normal local recipient still works in the same transaction.
        assert c.cmd(f"RCPT TO:<bob@{LOCAL_DOMAIN}>")[0] == 250
        assert c.cmd("QUIT")[0] == 221
    assert " <= " not in h.mainlog()
