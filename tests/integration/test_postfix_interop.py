"""Herald and a real Postfix 3.7 (issue 22), each way, over STARTTLS, with a 200 KiB message
whose lines start with dots:

- Postfix's smtpd as the MX host Herald delivers to. Its CHUNKING offer makes Herald send
  BDAT, which Postfix's own count of the session's commands shows; the TLS shows on both
  sides. With the zone signed and a TLSA record for Postfix's certificate, the same delivery
  is authenticated by DANE.
- Postfix's smtp client relaying through Herald to a local mailbox. Postfix's client speaks
  DATA only (its smtp(8) has no BDAT), so this is Herald's dot-unstuffing and STARTTLS server
  against a real client; BDAT from a real client is test_chunking's.
"""
import re

import pytest

from herald_fixture import delivery_config, make_ca_and_cert, maildir_count, message, send
from postfix_instance import postfix  # noqa: F401 (a fixture)
from signed_zones import Nsd, Zone, write_trust_anchors
from test_dane import spki_sha256
from test_local_delivery import LOCAL, local, maildir_messages

DOMAIN = "postfix.test"
MX_HOST = f"mx.{DOMAIN}"
SENDER = "alice@client.herald.test"
# Lines that DATA must dot-stuff: a lone dot (also the last line, right before the end mark),
# one that starts with two dots, one with one; and enough text (~220 KiB) to take many reads
# and TLS records on the way.
BODY_LINES = [".", "..two dots", ".one dot"] + \
    [f"{n:05d} " + "x" * 72 for n in range(2800)] + ["."]
BODY = "\r\n".join(BODY_LINES) + "\r\n"
# The body as a maildir holds it: LF line ends (Postfix's never has a CR).
STORED_BODY = BODY.replace("\r\n", "\n").encode()


def body_of(raw):
    """The body of a delivered message, with LF line ends."""
    return raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]


def session_commands(postfix_receiver):
    """The command counts Postfix's smtpd logs when the client leaves ("ehlo=2 starttls=1
    mail=1 rcpt=1 bdat=1 quit=1 commands=7"), as {command: count}."""
    line = postfix_receiver.wait_for_log(r"smtpd\[\d+\]: disconnect from \S+ (.*)$")
    return dict(word.split("=", 1) for word in line.group(1).split())


@pytest.mark.parametrize("tls_policy", ["opportunistic", "dane"])
def test_herald_delivers_to_postfix_by_bdat_over_starttls(make_herald, postfix, tmp_path,
                                                          request, tls_policy):
    _, cert, key = make_ca_and_cert(tmp_path / "ca", names=(MX_HOST,))
    receiver = postfix(MX_HOST, mailbox_domains=[DOMAIN], tls=(cert, key))
    # The TLSA record pins Postfix's key; it counts only where the zone is signed.
    records = [f"{DOMAIN}. MX 10 {MX_HOST}.", f"{MX_HOST}. A 127.0.0.1",
               f"_{receiver.port}._tcp.{MX_HOST}. TLSA 3 1 1 {spki_sha256(cert)}"]
    zone = Zone(DOMAIN, records, signed=tls_policy == "dane")
    dns = Nsd(tmp_path / "nsd", [zone]).start()
    request.addfinalizer(dns.stop)
    config = delivery_config(dns.address, receiver.port)
    if zone.signed:
        config["dns"]["trust_anchor"] = str(write_trust_anchors(tmp_path / "anchors", [zone]))
    h = make_herald(**config)

    data = message(subject="to postfix", body=BODY, sender=SENDER, to=f"bob@{DOMAIN}")
    msg_id = send(h, SENDER, [f"bob@{DOMAIN}"], data=data)
    line = h.wait_for_log(rf"^\S+ {msg_id} => <?bob@{DOMAIN}>? .*$", timeout=60).group(0)
    verified = ":verified" if tls_policy == "dane" else ""
    assert re.search(rf" X=TLSv1\.[23]:\S+{verified} P={tls_policy} ", line), line

    receiver.wait_for_log(rf"virtual\[\d+\]: \S+: to=<bob@{re.escape(DOMAIN)}>, .*status=sent")
    [raw] = receiver.messages()
    assert body_of(raw) == STORED_BODY
    # Postfix's own view: TLS (RFC 3848's ESMTPS) and BDAT, never DATA.
    assert re.search(rb"\nReceived: from mail\.herald\.test .*\n\s+by mx\.postfix\.test "
                     rb"\(Postfix\) with ESMTPS id ", raw.replace(b"\r\n", b"\n")), raw[:600]
    # Herald parks the connection for a next message (10 s, docs/operations.md); Postfix
    # logs the session's commands when it ends, here when Herald stops.
    assert h.stop() == 0, h.stderr()
    commands = session_commands(receiver)
    assert commands.get("starttls") == "1", commands
    assert "bdat" in commands and "data" not in commands, commands


def test_postfix_relays_through_herald_over_starttls(make_herald, postfix):
    h = make_herald(local=local("maildir"))
    sender = postfix("relay.postfix.test", listen=False,
                     settings={"relayhost": f"[127.0.0.1]:{h.port('relay')}",
                               "smtp_tls_security_level": "may"})
    data = message(subject="from postfix", body=BODY, sender=SENDER, to=f"bob@{LOCAL}")
    sender.sendmail(SENDER, [f"bob@{LOCAL}"], data.replace("\r\n", "\n"))

    handed_over = sender.wait_for_log(
        rf"smtp\[\d+\]: \S+: to=<bob@{re.escape(LOCAL)}>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:"
        rf"{h.port('relay')}, .*status=sent \(250 .*queued as (\S+)\)$", timeout=60)
    msg_id = handed_over.group(1)
    [arrival] = h.events(msg_id, "<=")
    # Herald's view of the client: Postfix by its name, over TLS (RFC 3848's esmtps).
    assert " H=relay.postfix.test [127.0.0.1] P=esmtps " in arrival, arrival
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    assert maildir_count(h.path("var/mail/bob")) == 1
    [raw], _ = maildir_messages(h, "bob")
    assert body_of(raw) == STORED_BODY
