"""Whom Herald signs and bounces for (issue: Herald signed for anyone and handed the
signature back in a bounce). Signatures are checked with python3-dkim."""
import re
import smtplib
import subprocess

import dkim
import pytest

from herald_fixture import (HERALD_BIN, LOCAL_USERS, insecure_tls, maildir_count, openssl_passwd,
                            queued_id, wait_for)

LOCAL = "local.herald.test"
SIGNER = "signer.test"
PASSWORD = "correct horse battery"


def keygen(tmp_path, domain=SIGNER, selector="s1"):
    """The private key's path, and a dnsfunc for dkim.verify answering its published record."""
    out = tmp_path / "keys"
    out.mkdir(exist_ok=True)
    printed = subprocess.run([HERALD_BIN, "dkim", "keygen", "--domain", domain, "--selector",
                              selector, "--out", str(out)], capture_output=True, text=True,
                             check=True).stdout
    txt = "".join(re.findall(r'"([^"]*)"', printed)).encode()
    name = f"{selector}._domainkey.{domain}."
    return out / f"{domain}.{selector}.key", lambda n, timeout=5: txt if (
        n.decode() if isinstance(n, bytes) else n) == name else None


def signing_herald(make_herald, tmp_path, networks, listeners=("relay",), **extra):
    key, dnsfunc = keygen(tmp_path)
    h = make_herald(listeners=listeners, relay={"networks": networks},
                    local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
                           "path": "var/mail/{user}"},
                    **{"dkim.key": [{"domain": "*", "selector": "s1", "private_key": str(key),
                                     "require_dns_match": False}]}, **extra)
    return h, dnsfunc


def forged(sender, to, from_header=f"ceo@{SIGNER}"):
    return (f"From: <{from_header}>\r\nTo: <{to}>\r\nSubject: urgent\r\n"
            "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <forged@x.test>\r\n\r\n"
            "Please wire the money.\r\n")


def mailbox_messages(h, user, count=1):
    path = h.path(f"var/mail/{user}")
    wait_for(lambda: maildir_count(path) >= count, what=f"{count} message(s) for {user}")
    return [f.read_bytes() for d in ("new", "cur") for f in sorted((path / d).glob("*"))]


def test_an_outsider_gets_no_signature_for_a_domain_herald_signs(make_herald, tmp_path):
    h, _ = signing_herald(make_herald, tmp_path, networks=[])
    with h.smtp() as s:
        s.sendmail("attacker@evil.example", [f"bob@{LOCAL}"],
                   forged("attacker@evil.example", f"bob@{LOCAL}"))
    [raw] = mailbox_messages(h, "bob")
    assert b"DKIM-Signature" not in raw, raw[:600]


def test_a_trusted_network_still_gets_its_mail_signed(make_herald, tmp_path):
    h, dnsfunc = signing_herald(make_herald, tmp_path, networks=["127.0.0.0/8"])
    with h.smtp() as s:
        s.sendmail(f"app@{SIGNER}", [f"bob@{LOCAL}"], forged(f"app@{SIGNER}", f"bob@{LOCAL}"))
    [raw] = mailbox_messages(h, "bob")
    assert b"DKIM-Signature" in raw
    assert dkim.verify(raw, dnsfunc=dnsfunc), raw[:600]


def stuck_local(h):
    """Makes local delivery defer from now on: the mailbox path can never be created."""
    h.stop()
    h.config["local"]["path"] = "/dev/null/nowhere/{user}"
    h.write_config()
    h.start()


def test_no_bounce_for_mail_from_an_outsider_that_failed_locally(make_herald, tmp_path):
    h, _ = signing_herald(make_herald, tmp_path, networks=[],
                          queue={"retry": ["1h"], "max_age": "5d"})
    stuck_local(h)
    with h.smtp() as s:
        s.ehlo("outsider.example")
        s.mail(f"victim@{LOCAL}")
        s.rcpt(f"bob@{LOCAL}")
        code, reply = s.data(forged(f"victim@{LOCAL}", f"bob@{LOCAL}").encode())
        assert code == 250, reply
    msg_id = queued_id(reply)
    wait_for(lambda: h.events(msg_id, "=="), what="the local delivery deferred")
    assert h.cli("queue", "bounce", msg_id).returncode == 0
    wait_for(lambda: any("no bounce" in l for l in h.events(msg_id)), what="no bounce")
    assert not any(re.search(r"bounce \S+ queued", l) for l in h.mainlog().splitlines())
    assert "untrusted" in " ".join(h.events(msg_id))


def test_a_bounce_returns_no_dkim_signature_of_the_original(make_herald, tmp_path):
    """A trusted sender's signed message bounces; the DSN carries its headers, not its
    signature (which a stranger could otherwise replay)."""
    h, _ = signing_herald(make_herald, tmp_path, networks=["127.0.0.0/8"],
                          queue={"retry": ["1h"], "max_age": "5d"},
                          transport=[{"name": "stuck", "type": "maildir",
                                      "path": "/dev/null/nowhere/{user}"}],
                          route=[{"sender": "*", "transport": "stuck"}])
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail(f"alice@{LOCAL}")
        s.rcpt("someone@remote.example")
        code, reply = s.data(forged(f"alice@{LOCAL}", "someone@remote.example",
                                    from_header=f"alice@{SIGNER}").encode())
        assert code == 250, reply
    msg_id = queued_id(reply)
    wait_for(lambda: h.events(msg_id, "=="), what="the delivery deferred")
    assert h.cli("queue", "bounce", msg_id).returncode == 0
    [bounce] = mailbox_messages(h, "alice")
    assert b"Subject: urgent" in bounce, bounce[:2000]
    assert f"X-Herald-Queue-ID: {msg_id}".encode() in bounce
    assert b"DKIM-Signature" not in bounce, bounce[:2000]


@pytest.fixture
def submission(make_herald, tmp_path):
    def make(**extra):
        users = [{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
                  "sender_domains": [SIGNER]}]
        return signing_herald(make_herald, tmp_path, networks=[],
                              listeners=("relay", "submission"), user=users, **extra)
    return make


def submit(h, from_header):
    s = h.smtp("submission")
    try:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.herald.test")
        s.login("alice", PASSWORD)
        s.mail(f"alice@{SIGNER}")
        s.rcpt(f"bob@{LOCAL}")
        return s.data(forged(f"alice@{SIGNER}", f"bob@{LOCAL}", from_header=from_header).encode())
    finally:
        s.close()


def test_a_user_is_refused_a_from_it_does_not_own(submission):
    h, _ = submission()
    code, reply = submit(h, "ceo@bank.example")
    assert code == 550 and reply.startswith(b"5.7.1"), (code, reply)
    assert b"bank.example" in reply
    assert "bank.example" in h.rejectlog()


def test_a_user_is_signed_for_a_from_it_owns(submission):
    h, dnsfunc = submission()
    code, reply = submit(h, f"alice@{SIGNER}")
    assert code == 250, reply
    [raw] = mailbox_messages(h, "bob")
    assert dkim.verify(raw, dnsfunc=dnsfunc), raw[:600]


def test_a_from_the_user_does_not_own_may_be_relayed_unsigned(submission):
    h, _ = submission(dkim={"unowned_from": "relay_unsigned"})
    code, reply = submit(h, "ceo@bank.example")
    assert code == 250, reply
    [raw] = mailbox_messages(h, "bob")
    assert b"DKIM-Signature" not in raw, raw[:600]
