"""What Herald sends to a server that does not offer 8BITMIME or SMTPUTF8 (RFC 6152 3,
RFC 6531 3.4): 8-bit mail converted to 7-bit MIME and signed again with Herald's own DKIM key,
checked by Python's email package and by python3-dkim; mail that cannot be converted fails with
5.6.3, and SMTPUTF8 mail fails with 5.6.7, each with a bounce.

The sender's domain routes through a smarthost transport (host/port) to an aiosmtpd receiver
that hides 8BITMIME (or SMTPUTF8); bounces (null sender) take the default MX route to a
second receiver that offers everything."""
import email
import email.policy

import dkim
import pytest

from herald_fixture import delivery_config, queued_id
from receivers import free_port_on
from test_dkim import Published, keygen

SIGNER = "signer.test"
RELAY, MX = "127.0.0.2", "127.0.0.3"
TEXT = "Grüße aus Köln, ça va? Ünïcödé — 日本語\r\nZweite Zeile, noch ein ß.\r\n"


@pytest.fixture
def setup(make_herald, dns_zone, smtp_receiver, tmp_path):
    """make(hide) -> (herald, the smarthost receiver hiding `hide`, the MX receiver, the
    published DKIM key for dkim.verify)."""

    def make(hide):
        key, record, strings = keygen(tmp_path, "s1")
        dns = dns_zone([record, f"relay.test. IN A {RELAY}",
                        f"{SIGNER}. IN MX 10 mx.{SIGNER}.", f"mx.{SIGNER}. IN A {MX}"])
        port = free_port_on([RELAY, MX])
        relay = smtp_receiver(RELAY, port, hide=hide, hostname="relay.test")
        mx = smtp_receiver(MX, port, hostname="mx.signer.test")
        transport = {"name": "relay", "type": "smtp", "host": "relay.test", "port": port,
                     "tls": "none"}
        h = make_herald(relay={"networks": ["127.0.0.0/8"]},
                        **{"dkim.key": [{"domain": SIGNER, "selector": "s1",
                                         "private_key": str(key)}]},
                        **delivery_config(dns, port, transports=[transport],
                                          routes=[{"sender": f"*@{SIGNER}",
                                                   "transport": "relay"}]))
        published = Published()
        published.add("s1", SIGNER, strings)
        return h, relay, mx, published

    return make


def message(subject="Greetings from Cologne", body=TEXT, content_type="text/plain; charset=utf-8",
            encoding="8bit"):
    headers = [f"From: Alice <alice@{SIGNER}>", "To: bob@example.net",
               f"Subject: {subject}", "Date: Thu, 1 Jan 2026 00:00:00 +0000",
               f"Message-ID: <downgrade@{SIGNER}>", "MIME-Version: 1.0",
               f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {encoding}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


def send(h, data, sender=f"alice@{SIGNER}", rcpt="bob@example.net", options=("BODY=8BITMIME",)):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, text = s.mail(sender, list(options))
        assert code == 250, text
        code, text = s.rcpt(rcpt)
        assert code == 250, text
        code, text = s.data(data)
        assert code == 250, text
        return queued_id(text)


def bounce_for(h, mx, msg_id, status):
    """The ** line of msg_id, and the bounce the MX receiver got for alice."""
    h.wait_for(lambda: h.events(msg_id, "**"), what=f"{msg_id} failed")
    [failed] = h.events(msg_id, "**")
    assert status in failed, failed
    h.wait_for(lambda: mx.delivered_to(f"alice@{SIGNER}"), what="the bounce")
    [bounce] = mx.delivered_to(f"alice@{SIGNER}")
    assert bounce.mail_from in ("", "<>")  # aiosmtpd keeps the brackets of the null path
    assert status.encode() in bounce.data, bounce.data[:2000]
    return failed, bounce


def test_eight_bit_text_is_sent_as_quoted_printable_and_signed_again(setup):
    h, relay, mx, published = setup(hide=("8BITMIME",))
    msg_id = send(h, message())
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [line] = h.events(msg_id, "=>")
    assert "T=relay" in line, line
    [got] = relay.messages()
    assert all(byte < 128 for byte in got.data), got.data
    options = [o.upper() for o in got.record["mail_options"]]
    assert "BODY=8BITMIME" not in options, options
    parsed = email.message_from_bytes(got.data, policy=email.policy.default)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert parsed.get_content().replace("\r\n", "\n") == TEXT.replace("\r\n", "\n")
    lines = got.data.split(b"\r\n")
    assert max(len(x) for x in lines) <= 78  # QP lines are at most 76; signature lines 78
    assert len([x for x in lines if x.startswith(b"DKIM-Signature:")]) == 1
    assert dkim.verify(got.data, dnsfunc=published), got.data[:1500]


def test_a_server_with_8bitmime_gets_the_message_as_it_is(setup):
    h, relay, mx, published = setup(hide=())
    msg_id = send(h, message())
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [got] = relay.messages()
    assert TEXT.encode("utf-8") in got.data
    assert "BODY=8BITMIME" in [o.upper() for o in got.record["mail_options"]]
    assert dkim.verify(got.data, dnsfunc=published)


def test_a_message_that_cannot_be_converted_fails_with_5_6_3_and_bounces(setup):
    h, relay, mx, published = setup(hide=("8BITMIME",))
    # An 8-bit message/partial is a composite type: no encoding may be applied to it.
    data = message(content_type="message/partial; id=\"p1@signer.test\"; number=1; total=2")
    msg_id = send(h, data)
    failed, bounce = bounce_for(h, mx, msg_id, "5.6.3")
    assert "bob@example.net" in failed
    assert relay.messages() == []
    h.wait_for(lambda: h.completed(msg_id), what="Completed")


def test_eight_bit_headers_without_smtputf8_fail_with_5_6_3(setup):
    h, relay, mx, published = setup(hide=("8BITMIME",))
    msg_id = send(h, message(subject="Grüße ohne SMTPUTF8"))
    bounce_for(h, mx, msg_id, "5.6.3")
    assert relay.messages() == []


def test_smtputf8_mail_to_a_server_without_smtputf8_fails_with_5_6_7(setup):
    h, relay, mx, published = setup(hide=("SMTPUTF8",))
    msg_id = send(h, message(subject="Grüße mit SMTPUTF8"),
                  options=("SMTPUTF8", "BODY=8BITMIME"))
    bounce_for(h, mx, msg_id, "5.6.7")
    assert relay.messages() == []
    assert relay.events("mail") == []
