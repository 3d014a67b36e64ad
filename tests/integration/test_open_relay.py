"""Open-relay attempts, one table: every way a client outside relay.networks might get mail
for another domain accepted. Each must be refused, and nothing may be queued for a remote
recipient."""
import base64

import pytest

from herald_fixture import LOCAL_USERS, insecure_tls, message, openssl_passwd

LOCAL = "local.herald.test"
PASSWORD = "correct horse battery staple"

# (what, EHLO name, MAIL FROM, RCPT TO)
UNAUTHENTICATED = [
    ("plain remote recipient", "client.test", "a@client.test", "victim@example.net"),
    ("upper-case domain", "client.test", "a@client.test", "victim@EXAMPLE.NET"),
    ("trailing dot", "client.test", "a@client.test", "victim@example.net."),
    ("quoted address at a local domain", "client.test", "a@client.test",
     f'"victim@example.net"@{LOCAL}'),
    ("percent hack", "client.test", "a@client.test", f"victim%example.net@{LOCAL}"),
    ("quoted percent hack", "client.test", "a@client.test", f'"victim%example.net"@{LOCAL}'),
    ("bang path", "client.test", "a@client.test", f"example.net!victim@{LOCAL}"),
    ("source route via us", "client.test", "a@client.test", f"@{LOCAL}:victim@example.net"),
    ("two-hop source route", "client.test", "a@client.test",
     f"@{LOCAL},@relay.test:victim@example.net"),
    ("double at", "client.test", "a@client.test", f"victim@example.net@{LOCAL}"),
    ("address literal v4", "client.test", "a@client.test", "victim@[192.0.2.1]"),
    ("address literal v6", "client.test", "a@client.test", "victim@[IPv6:2001:db8::1]"),
    ("loopback literal", "client.test", "a@client.test", "victim@[127.0.0.1]"),
    ("lookalike of the local domain", "client.test", "a@client.test",
     f"victim@{LOCAL}.example.net"),
    ("subdomain of the local domain", "client.test", "a@client.test", f"victim@sub.{LOCAL}"),
    ("localhost", "client.test", "a@client.test", "victim@localhost"),
    ("postmaster elsewhere", "client.test", "a@client.test", "postmaster@example.net"),
    ("no domain with percent", "client.test", "a@client.test", "victim%example.net"),
    ("quoted local part", "client.test", "a@client.test", '"victim"@example.net'),
    ("IDN domain", "client.test", "a@client.test", "victim@xn--exmple-cua.net"),
    ("forged local sender", "client.test", f"bob@{LOCAL}", "victim@example.net"),
    ("null sender", "client.test", "", "victim@example.net"),
    ("HELO as our own name", "mail.herald.test", "a@client.test", "victim@example.net"),
    ("HELO as the local domain", LOCAL, f"bob@{LOCAL}", "victim@example.net"),
    ("HELO as a loopback literal", "[127.0.0.1]", "a@client.test", "victim@example.net"),
    ("recipient with parameters", "client.test", "a@client.test",
     "victim@example.net> NOTIFY=NEVER ORCPT=rfc822;x@y"),
    ("percent hack after a local part", "client.test", "a@client.test",
     f"victim@example.net%{LOCAL}"),
]


@pytest.fixture
def herald(make_herald):
    users = [{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
              "sender_domains": ["*"]}]
    return make_herald(listeners=("relay", "submission"), user=users,
                       relay={"networks": ["10.0.0.0/8"],
                              "block_auth_relay_on_relay_listeners": True},
                       local={"recipients": LOCAL_USERS, "domains": [LOCAL]})


def refused(h, ehlo, sender, rcpt, mode="relay", login=None):
    """The reply to RCPT (or the first refusal before it)."""
    with h.raw(mode) as c:
        c.reply()
        c.ehlo(ehlo)
        if login:
            code, _ = c.cmd("AUTH PLAIN " + base64.b64encode(login.encode()).decode())
            if code != 235:
                return code
        code, _ = c.cmd(f"MAIL FROM:<{sender}>")
        if code != 250:
            return code
        code, _ = c.cmd(f"RCPT TO:<{rcpt}>" if ">" not in rcpt else f"RCPT TO:<{rcpt}")
        return code


def assert_nothing_remote_queued(h):
    for line in h.mainlog().splitlines():
        assert " <= " not in line or "example.net" not in line, line


@pytest.mark.parametrize("what,ehlo,sender,rcpt", UNAUTHENTICATED,
                         ids=[row[0] for row in UNAUTHENTICATED])
def test_unauthenticated_relay_attempt_is_refused(herald, what, ehlo, sender, rcpt):
    code = refused(herald, ehlo, sender, rcpt)
    assert code >= 500, f"{what}: {rcpt} got {code}"
    assert_nothing_remote_queued(herald)


def test_authenticated_relay_on_the_relay_listener_is_refused(herald):
    code = refused(herald, "client.test", "a@client.test", "victim@example.net",
                   login=f"\0alice\0{PASSWORD}")
    # AUTH itself is not offered in the clear on the relay listener; either way, no relay.
    assert code >= 500


def test_wrong_password_on_submission_gets_no_relay(herald):
    with herald.smtp("submission") as s:
        s.ehlo("client.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.test")
        code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0alice\0wrong").decode())
        assert code == 535
        code, _ = s.docmd("MAIL", "FROM:<a@client.test>")
        assert code >= 500
    assert_nothing_remote_queued(herald)


def test_submission_without_auth_is_refused(herald):
    with herald.smtp("submission") as s:
        s.ehlo("client.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.test")
        code, _ = s.docmd("MAIL", "FROM:<a@client.test>")
        if code == 250:
            code, _ = s.docmd("RCPT", "TO:<victim@example.net>")
        assert code >= 500


def test_a_real_message_to_a_local_user_is_still_welcome(herald):
    with herald.smtp() as s:
        s.ehlo("client.test")
        s.mail("a@client.test")
        assert s.rcpt(f"bob@{LOCAL}")[0] == 250
        assert s.data(message(to=f"bob@{LOCAL}"))[0] == 250
