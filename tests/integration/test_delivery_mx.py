"""Delivery to the recipient domain's MX hosts (RFC 5321 section 5, RFC 7505), with a real
DNS server (unbound on loopback serving the test zones) and real SMTP receivers (aiosmtpd,
Postfix's smtp-sink) on loopback addresses 127.0.0.2, 127.0.0.3, ...

The receivers of a test all listen on one port (the smtp transport's `port`), each on its
own address, as MX hosts on port 25 would."""
import email.policy
import re
from email.parser import BytesParser

from herald_fixture import delivery_config, message, queued_id, send
from receivers import free_port_on, self_signed_cert

MX1, MX2, MX3, SINK = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
ZONE = [
    # two preferences: mx1 first
    "one.test. MX 10 mx1.one.test.",
    "one.test. MX 20 mx2.one.test.",
    "mx1.one.test. A 127.0.0.2",
    "mx2.one.test. A 127.0.0.3",
    # a second domain with its own MX
    "two.test. MX 10 mx.two.test.",
    "mx.two.test. A 127.0.0.4",
    # no MX: the A record is the implicit MX
    "plain.test. A 127.0.0.4",
    # no MX: only an AAAA record
    "six.test. AAAA ::1",
    # the first MX host has no address at all
    "ghost.test. MX 5 nowhere.ghost.test.",
    "ghost.test. MX 10 mx2.one.test.",
    # null MX (RFC 7505)
    "void.test. MX 0 .",
    # the envelope senders' domain, where bounces go
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.4",
    # smtp-sink
    "sink.test. MX 10 mx.sink.test.",
    "mx.sink.test. A 127.0.0.5",
]


def start(make_herald, dns_zone, hosts=(MX1, MX2, MX3), **options):
    """(herald, port): herald delivering with the test zone, to `port` on every MX."""
    port = free_port_on(list(hosts))
    h = make_herald(**delivery_config(dns_zone(ZONE), port, **options))
    return h, port


def delivered_line(h, msg_id, rcpt):
    return h.wait_for_log(rf"^\S+ {re.escape(msg_id)} => <?{re.escape(rcpt)}>? .*$").group(0)


def test_lower_preference_mx_gets_the_mail(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port)
    mx2 = smtp_receiver(MX2, port)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    line = delivered_line(h, msg_id, "bob@one.test")
    assert "T=mx" in line and "mx1.one.test [127.0.0.2]" in line, line
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [got] = mx1.messages()
    assert got.mail_from == "alice@sender.test" and got.rcpt_tos == ["bob@one.test"]
    assert got.ehlo == "mail.herald.test", "EHLO must carry server.hostname"
    assert got.parsed()["Subject"] == "test"
    assert mx2.connections() == 0, "the preference-20 MX was contacted"


def test_dead_first_mx_falls_back_to_the_next(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    # Nothing listens on mx1 (127.0.0.2): connection refused.
    mx2 = smtp_receiver(MX2, port)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    line = delivered_line(h, msg_id, "bob@one.test")
    assert "mx2.one.test [127.0.0.3]" in line, line
    assert "127.0.0.2" in h.mainlog(), "the first MX was never tried"
    assert [m.rcpt_tos for m in mx2.messages()] == [["bob@one.test"]]
    assert not h.events(msg_id, "=="), "a working second MX must not mean a deferral"


def test_mx_with_a_4xx_greeting_falls_back_to_the_next(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    busy = smtp_receiver(MX1, port, greeting=421)
    mx2 = smtp_receiver(MX2, port)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    line = delivered_line(h, msg_id, "bob@one.test")
    assert "mx2.one.test [127.0.0.3]" in line, line
    assert busy.connections() >= 1, "the first MX was never tried"
    assert len(mx2.delivered_to("bob@one.test")) == 1


def test_mx_host_without_an_address_is_skipped(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx2 = smtp_receiver(MX2, port)
    msg_id = send(h, "alice@sender.test", ["bob@ghost.test"])
    line = delivered_line(h, msg_id, "bob@ghost.test")
    assert "mx2.one.test [127.0.0.3]" in line, line
    assert len(mx2.delivered_to("bob@ghost.test")) == 1


def test_implicit_mx_is_the_domains_a_record(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    host = smtp_receiver(MX3, port)
    msg_id = send(h, "alice@sender.test", ["bob@plain.test"])
    line = delivered_line(h, msg_id, "bob@plain.test")
    assert "plain.test [127.0.0.4]" in line, line
    assert [m.rcpt_tos for m in host.messages()] == [["bob@plain.test"]]


def test_implicit_mx_over_ipv6(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone, hosts=("::1",))
    host = smtp_receiver("::1", port)
    msg_id = send(h, "alice@sender.test", ["bob@six.test"])
    line = delivered_line(h, msg_id, "bob@six.test")
    assert "[::1]" in line, line
    [got] = host.messages()
    assert got.rcpt_tos == ["bob@six.test"] and got.peer == "::1"


def test_null_mx_fails_at_once_and_bounces(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)  # retry 1h: only an immediate failure shows
    senders_mx = smtp_receiver(MX3, port)
    msg_id = send(h, "alice@sender.test", ["nobody@void.test"])
    failed = h.wait_for_log(rf"^\S+ {re.escape(msg_id)} \*\* <?nobody@void\.test>? .*$").group(0)
    assert "5.1.10" in failed or "null MX" in failed, failed
    assert not h.events(msg_id, "=="), "a null MX is a permanent failure, not a deferral"
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [bounce] = h.wait_for(lambda: senders_mx.messages(), what="the bounce at sender.test")
    assert bounce.mail_from in ("", "<>"), bounce.mail_from
    assert bounce.rcpt_tos == ["alice@sender.test"]
    report = BytesParser(policy=email.policy.default).parsebytes(bounce.data)
    assert report.get_content_type() == "multipart/report"
    assert "nobody@void.test" in bounce.data.decode(errors="replace")


def test_nonexistent_domain_fails_permanently(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    smtp_receiver(MX3, port)  # sender.test, for the bounce
    msg_id = send(h, "alice@sender.test", ["bob@nosuchdomain.test"])
    failed = h.wait_for_log(rf"^\S+ {re.escape(msg_id)} \*\* <?bob@nosuchdomain\.test>? .*$")
    assert "5.1.2" in failed.group(0) or "not exist" in failed.group(0), failed.group(0)
    h.wait_for(lambda: h.completed(msg_id), what="Completed")


def test_recipients_of_one_domain_go_in_one_transaction(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port)
    rcpts = ["a@one.test", "b@one.test", "c@one.test"]
    msg_id = send(h, "alice@sender.test", rcpts)
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    assert len(h.events(msg_id, "=>")) == 3
    [got] = mx1.messages()
    assert sorted(got.rcpt_tos) == rcpts
    assert mx1.connections() == 1


def test_several_domains_each_get_their_own_transaction(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port)
    two = smtp_receiver(MX3, port)  # mx.two.test
    data = message(sender="alice@sender.test", to="a@one.test", subject="to two domains")
    msg_id = send(h, "alice@sender.test", ["a@one.test", "x@two.test", "b@one.test"], data)
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    lines = h.events(msg_id, "=>")
    assert len(lines) == 3, lines
    assert any("x@two.test" in l and "mx.two.test [127.0.0.4]" in l for l in lines), lines
    [at_one] = mx1.messages()
    [at_two] = two.messages()
    assert sorted(at_one.rcpt_tos) == ["a@one.test", "b@one.test"]
    assert at_two.rcpt_tos == ["x@two.test"]
    for got in (at_one, at_two):
        assert got.parsed()["Subject"] == "to two domains"
        # Herald's Received header is on top, the original message follows unchanged.
        assert got.data.startswith(b"Received: ")
        assert got.data.endswith(data.encode().split(b"\r\n\r\n", 1)[1])


def test_starttls_is_used_when_the_mx_offers_it(make_herald, dns_zone, smtp_receiver,
                                                tmp_path):
    cert = self_signed_cert(tmp_path / "mxcert", names=("mx1.one.test",))
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port, tls=cert, require_tls=True)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    delivered_line(h, msg_id, "bob@one.test")
    [got] = mx1.messages()
    assert got.tls, "opportunistic TLS: STARTTLS was offered but not used"


def test_tls_none_never_uses_starttls(make_herald, dns_zone, smtp_receiver, tmp_path):
    cert = self_signed_cert(tmp_path / "mxcert", names=("mx1.one.test",))
    h, port = start(make_herald, dns_zone, mx={"tls": "none"})
    mx1 = smtp_receiver(MX1, port, tls=cert)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    delivered_line(h, msg_id, "bob@one.test")
    [got] = mx1.messages()
    assert not got.tls, "tls = none, yet STARTTLS was used"


def test_required_tls_with_an_untrusted_certificate_is_deferred(make_herald, dns_zone,
                                                                smtp_receiver, tmp_path):
    cert = self_signed_cert(tmp_path / "mxcert", names=("mx1.one.test",))
    h, port = start(make_herald, dns_zone, mx={"tls": "required"})
    mx1 = smtp_receiver(MX1, port, tls=cert)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    [deferred] = h.wait_for(lambda: h.events(msg_id, "=="), what="deferred")
    assert "bob@one.test" in deferred
    assert mx1.messages() == [] and mx1.events("mail") == [], "mail sent without trusted TLS"
    assert not h.events(msg_id, "=>")


def test_burst_of_50_messages_to_smtp_sink(make_herald, dns_zone, smtp_sink):
    h, port = start(make_herald, dns_zone, hosts=(SINK,))
    sink = smtp_sink(SINK, port)
    ids = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for n in range(50):
            s.mail(f"n{n}@sender.test")
            s.rcpt(f"r{n}@sink.test")
            code, text = s.data(message(sender=f"n{n}@sender.test", to=f"r{n}@sink.test",
                                        subject=f"burst {n}"))
            assert code == 250, text
            ids.append(queued_id(text))
    h.wait_for(lambda: all(h.completed(i) for i in ids), timeout=120, what="50 Completed")
    for i in ids:
        [line] = h.events(i, "=>")
        assert "mx.sink.test [127.0.0.5]" in line, line
    dumps = h.wait_for(lambda: (lambda d: d if len(d) >= 50 else None)(sink.dumps()),
                       what="50 dumps at smtp-sink")
    assert len(dumps) == 50, len(dumps)
    envelopes = sorted((e["mail"], e["rcpts"]) for e, _ in dumps)
    assert envelopes == sorted((f"n{n}@sender.test", [f"r{n}@sink.test"]) for n in range(50))
    subjects = {re.search(rb"Subject: (burst \d+)", raw).group(1) for _, raw in dumps}
    assert len(subjects) == 50


def test_a_connection_is_reused_for_the_next_message(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port)
    first = send(h, "alice@sender.test", ["a@one.test"])
    h.wait_for(lambda: h.completed(first), what="the first Completed")
    second = send(h, "alice@sender.test", ["b@one.test"])  # well within the idle time
    h.wait_for(lambda: h.completed(second), what="the second Completed")
    assert [m.rcpt_tos for m in mx1.messages()] == [["a@one.test"], ["b@one.test"]]
    assert mx1.connections() == 1, "the parked connection was not reused"
    # RFC 5321 4.1.1.10: a stopping Herald says QUIT on the connection it keeps parked.
    assert not mx1.events("quit")
    assert h.stop() == 0
    h.wait_for(lambda: mx1.events("quit"), what="QUIT at the receiver")


def test_max_connections_limits_connections_to_a_destination(make_herald, dns_zone,
                                                             smtp_receiver):
    h, port = start(make_herald, dns_zone, mx={"max_connections": 2})
    mx1 = smtp_receiver(MX1, port, data_delay=0.3)  # keeps each connection busy a while
    ids = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for n in range(10):
            s.mail("alice@sender.test")
            s.rcpt(f"r{n}@one.test")
            code, text = s.data(message(to=f"r{n}@one.test"))
            assert code == 250
            ids.append(queued_id(text))
    h.wait_for(lambda: all(h.completed(i) for i in ids), timeout=120, what="10 Completed")
    assert len(mx1.messages()) == 10
    # Transactions, not sockets: a connection being closed gives its slot up as its QUIT is
    # sent, so the receiver may briefly see it beside its successor.
    assert 1 <= mx1.max_concurrent_transactions() <= 2, mx1.events()


def test_smtputf8_and_8bit_bodies_are_passed_on(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    mx1 = smtp_receiver(MX1, port)
    body = "Gr\u00fc\u00dfe \u2014 \u65e5\u672c\r\n"
    data = message(sender="jos\u00e9@sender.test", to="b\u00fcb@one.test", subject="utf8",
                   body=body).encode("utf-8")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("jos\u00e9@sender.test", ["SMTPUTF8", "BODY=8BITMIME"])[0] == 250
        assert s.rcpt("b\u00fcb@one.test")[0] == 250
        code, text = s.data(data)
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [got] = mx1.messages()
    assert got.mail_from == "jos\u00e9@sender.test"
    assert got.rcpt_tos == ["b\u00fcb@one.test"]
    options = [o.upper() for o in got.record["mail_options"]]
    assert "SMTPUTF8" in options and "BODY=8BITMIME" in options, options
    assert got.data.endswith(body.encode("utf-8"))


def test_transport_helo_and_source_address_are_used(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone,
                    mx={"helo": "out.herald.test", "source_address": "127.0.0.9"})
    mx1 = smtp_receiver(MX1, port)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [got] = mx1.messages()
    assert got.ehlo == "out.herald.test"
    assert got.peer == "127.0.0.9"


def test_a_dead_domain_does_not_hold_up_another(make_herald, dns_zone, smtp_receiver):
    h, port = start(make_herald, dns_zone)
    # two.test's MX (127.0.0.4) is down; one.test's mx1 is up.
    mx1 = smtp_receiver(MX1, port)
    msg_id = send(h, "alice@sender.test", ["x@two.test", "a@one.test"])
    h.wait_for(lambda: h.events(msg_id, "==") and h.events(msg_id, "=>"),
               what="one.test delivered and two.test deferred")
    [deferred] = h.events(msg_id, "==")
    assert "x@two.test" in deferred, deferred
    assert [m.rcpt_tos for m in mx1.messages()] == [["a@one.test"]]
    assert msg_id in h.queue_ids()
