"""REQUIRETLS (RFC 8689, issue 22): a sender that asks for it over SMTP (MAIL FROM ...
REQUIRETLS, on a TLS session) or the API ("require_tls": true) has its mail delivered only
over TLS that DANE or an enforced MTA-STS policy validated, to a next hop that offers
REQUIRETLS in turn; anything else bounces (5.7.30) rather than go in the clear. The receivers
are real (aiosmtpd taught the REQUIRETLS keyword) behind real DNSSEC (NSD, test_dane)."""
import hashlib
import re
import secrets
import smtplib
import ssl

import requests

from herald_fixture import free_port, message, wait_for
from test_dane import INSECURE, SECURE, dane, dane_ee, outcome_line  # noqa: F401 (fixture)

OFFERS = {"offer": ("REQUIRETLS",)}


def send_requiring_tls(h, recipient, sender="alice@sender.test"):
    """One message over STARTTLS with MAIL FROM ... REQUIRETLS; returns its queue id."""
    with h.smtp("relay") as s:
        s.ehlo("client.herald.test")
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.herald.test")
        assert s.has_extn("requiretls"), s.esmtp_features
        code, reply = s.mail(sender, ["REQUIRETLS"])
        assert code == 250, reply
        assert s.rcpt(recipient)[0] == 250
        code, reply = s.data(message(sender=sender, to=recipient).encode())
        assert code == 250, reply
    return re.search(r"queued as (\S+)", reply.decode()).group(1)


def test_requiretls_mail_goes_over_dane_to_a_next_hop_that_offers_it(dane):
    h, receiver = dane(dane_ee, receiver_options=OFFERS)
    msg_id = send_requiring_tls(h, f"bob@{SECURE}")
    line = outcome_line(h, msg_id, "=>")
    assert re.search(r" X=TLSv1\.[23]:\S+:verified P=dane ", line), line
    [got] = receiver.messages()
    assert "REQUIRETLS" in got.mail_options, got.mail_options


def test_requiretls_mail_bounces_where_nothing_validates_the_tls(dane):
    # An unsigned zone: no DANE, no MTA-STS; opportunistic TLS is not enough.
    h, receiver = dane(lambda certs: [], domain=INSECURE, signed=False,
                       receiver_options=OFFERS)
    msg_id = send_requiring_tls(h, f"bob@{INSECURE}")
    line = outcome_line(h, msg_id, "**", domain=INSECURE)
    assert "550 5.7.30 REQUIRETLS support required: no MX host of plain.test is covered by " \
           "DANE or an enforced MTA-STS policy" in line, line
    assert not receiver.delivered_to(f"bob@{INSECURE}")
    # The bounce reaches the sender (its domain's MX is the same receiver).
    wait_for(lambda: receiver.delivered_to("alice@sender.test"), what="the bounce")


def test_requiretls_mail_bounces_when_the_next_hop_does_not_offer_it(dane):
    h, receiver = dane(dane_ee)
    msg_id = send_requiring_tls(h, f"bob@{SECURE}")
    line = outcome_line(h, msg_id, "**")
    assert "550 5.7.30 REQUIRETLS support required: the receiving server does not offer " \
           "REQUIRETLS" in line, line
    assert not receiver.delivered_to(f"bob@{SECURE}")


def test_requiretls_needs_tls_from_the_client(dane):
    h, _ = dane(dane_ee)
    with h.smtp("relay") as s:
        s.ehlo("client.herald.test")
        assert not s.has_extn("requiretls")
        code, reply = s.mail("alice@sender.test", ["REQUIRETLS"])
    assert (code, reply.decode()) == (530, "5.7.10 REQUIRETLS needs a TLS session; use "
                                           "STARTTLS first")


def test_the_api_takes_require_tls(dane):
    token = secrets.token_hex(32)
    port = free_port()
    h, receiver = dane(dane_ee, receiver_options=OFFERS,
                       admin={"http": f"127.0.0.1:{port}"},
                       api_key=[{"name": "app", "sender_domains": ["sender.test"],
                                 "key_sha256": hashlib.sha256(token.encode()).hexdigest()}])
    body = {"from": "app@sender.test", "to": [f"bob@{SECURE}"], "subject": "s", "text": "t",
            "require_tls": True}
    r = requests.post(f"http://127.0.0.1:{port}/api/v1/messages", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 202), r.text
    msg_id = r.json()["id"]
    assert " P=dane " in outcome_line(h, msg_id, "=>")
    [got] = receiver.messages()
    assert "REQUIRETLS" in got.mail_options, got.mail_options
