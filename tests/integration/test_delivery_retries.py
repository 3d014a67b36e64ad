"""Temporary failures retried until delivered, permanent failures and expired messages
bounced with an RFC 3464 DSN to the envelope sender (never to the null sender, and never a
bounce of a bounce), against a real DNS server and aiosmtpd receivers with scripted replies."""
import email.policy
import re
from email.parser import BytesParser

from herald_fixture import delivery_config, message, send
from receivers import free_port_on

MX, SENDER_MX = "127.0.0.2", "127.0.0.3"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    # The senders' domain: bounces go to its MX.
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.3",
]


def deliver_with(make_herald, dns_zone, smtp_receiver, replies=None, sender_replies=None,
                 **options):
    """(herald, one.test's MX, sender.test's MX) with replies scripted per recipient."""
    port = free_port_on([MX, SENDER_MX])
    mx = smtp_receiver(MX, port, replies=replies)
    senders_mx = smtp_receiver(SENDER_MX, port, replies=sender_replies)
    h = make_herald(**delivery_config(dns_zone(ZONE), port, **options))
    return h, mx, senders_mx


def parse(data):
    return BytesParser(policy=email.policy.default).parsebytes(data)


def arrivals(h):
    """The ids of every message that entered the queue (mainlog '<=' lines)."""
    return re.findall(r"^\S+ (\S+) <= ", h.mainlog(), re.M)


def test_temporary_failure_is_retried_then_delivered(make_herald, dns_zone, smtp_receiver):
    h, mx, _ = deliver_with(make_herald, dns_zone, smtp_receiver,
                     replies={"bob@one.test": [450, 450, 250]}, retry=["1s"])
    msg_id = send(h, "alice@sender.test", ["bob@one.test", "carol@one.test"])
    h.wait_for(lambda: h.completed(msg_id), what="Completed after the retries")
    deferrals = h.events(msg_id, "==")
    assert len(deferrals) == 2, deferrals
    assert all("bob@one.test" in l and "450" in l for l in deferrals), deferrals
    assert mx.rcpt_attempts("bob@one.test") == [450, 450, 250]
    # carol took the message at the first attempt and was never asked again.
    assert mx.rcpt_attempts("carol@one.test") == [250]
    assert len(mx.delivered_to("bob@one.test")) == 1
    assert len(mx.delivered_to("carol@one.test")) == 1
    [delivered] = [l for l in h.events(msg_id, "=>") if "bob@one.test" in l]
    assert "mx.one.test [127.0.0.2]" in delivered, delivered


def test_queue_flush_retries_a_deferred_message_now(make_herald, dns_zone, smtp_receiver):
    h, mx, _ = deliver_with(make_herald, dns_zone, smtp_receiver,
                     replies={"bob@one.test": [450, 250]}, retry=["1h"])
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    h.wait_for(lambda: h.events(msg_id, "=="), what="the first attempt deferred")
    assert msg_id in h.queue_ids()
    result = h.cli("queue", "flush")
    assert result.returncode == 0, result.stderr
    h.wait_for(lambda: h.completed(msg_id), what="delivered after the flush")
    assert mx.rcpt_attempts("bob@one.test") == [450, 250]
    assert len(mx.delivered_to("bob@one.test")) == 1


def test_permanent_failure_bounces_a_dsn_to_the_sender(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = deliver_with(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [550]})
    original = message(sender="alice@sender.test", to="bob@one.test", subject="doomed",
                       extra_headers=["X-Original-Marker: kept-in-the-bounce"])
    msg_id = send(h, "alice@sender.test", ["bob@one.test", "carol@one.test"], original)
    failed = h.wait_for_log(rf"^\S+ {re.escape(msg_id)} \*\* <?bob@one\.test>? .*$").group(0)
    assert "550" in failed and "5.1.1" in failed, failed
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    assert mx.rcpt_attempts("bob@one.test") == [550], "a 5xx must not be retried"
    assert len(mx.delivered_to("carol@one.test")) == 1

    [bounce] = h.wait_for(lambda: senders_mx.messages(), what="the DSN at sender.test")
    assert bounce.mail_from in ("", "<>"), f"a DSN has the null sender, not {bounce.mail_from}"
    assert bounce.rcpt_tos == ["alice@sender.test"]
    dsn = parse(bounce.data)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert dsn["To"] and "alice@sender.test" in dsn["To"]
    assert dsn["Auto-Submitted"] and dsn["Auto-Submitted"].startswith("auto-replied")
    parts = list(dsn.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    [status_part] = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    blocks = status_part.get_payload()
    assert len(blocks) >= 2, "per-message fields, then one block per recipient"
    assert blocks[0]["Reporting-MTA"] and "mail.herald.test" in blocks[0]["Reporting-MTA"]
    recipients = blocks[1:]
    assert len(recipients) == 1, "only bob failed; carol was delivered"
    assert re.match(r"rfc822;\s*bob@one\.test$", recipients[0]["Final-Recipient"].strip())
    assert recipients[0]["Action"].strip() == "failed"
    assert recipients[0]["Status"].strip() == "5.1.1"
    assert "550" in recipients[0]["Diagnostic-Code"]
    assert "mx.one.test" in (recipients[0]["Remote-MTA"] or "")
    # The original headers come back (text/rfc822-headers or the whole message/rfc822).
    [returned] = [p for p in parts
                  if p.get_content_type() in ("text/rfc822-headers", "message/rfc822")]
    returned_text = returned.as_bytes().decode(errors="replace")
    assert "X-Original-Marker: kept-in-the-bounce" in returned_text
    assert "Subject: doomed" in returned_text
    # The bounce itself went through the queue and the mainlog.
    assert len(arrivals(h)) == 2


def test_no_bounce_is_ever_sent_to_the_null_sender(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = deliver_with(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [550]})
    data = message(sender="mailer-daemon@sender.test", to="bob@one.test", subject="a bounce")
    msg_id = send(h, "", ["bob@one.test"], data)
    h.wait_for_log(rf"^\S+ {re.escape(msg_id)} \*\* <?bob@one\.test>? ")
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    # A bounce would have been queued before Completed.
    assert arrivals(h) == [msg_id], h.mainlog()
    assert h.queue_ids() == set()
    assert senders_mx.messages() == [] and mx.messages() == []


def test_a_bounce_that_fails_is_dropped_not_bounced_again(make_herald, dns_zone,
                                                          smtp_receiver):
    h, mx, senders_mx = deliver_with(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [550]},
                              sender_replies={"alice@sender.test": [550]})
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    h.wait_for(lambda: h.completed(msg_id), what="the original Completed")
    bounce_id = h.wait_for(lambda: [i for i in arrivals(h) if i != msg_id],
                           what="the bounce queued")[0]
    h.wait_for_log(rf"^\S+ {re.escape(bounce_id)} \*\* <?alice@sender\.test>? ")
    h.wait_for(lambda: h.completed(bounce_id), what="the failed bounce Completed")
    assert arrivals(h) == [msg_id, bounce_id], "a bounce of a bounce was queued"
    assert senders_mx.rcpt_attempts("alice@sender.test") == [550]
    assert h.queue_ids() == set()


def test_expired_message_is_bounced_after_max_age(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = deliver_with(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [450]}, retry=["1s"], max_age="3s")
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    failed = h.wait_for_log(rf"^\S+ {re.escape(msg_id)} \*\* <?bob@one\.test>? .*$",
                            timeout=60).group(0)
    assert "4.4.7" in failed or "expired" in failed, failed
    assert h.events(msg_id, "=="), "it was deferred before it expired"
    assert len(mx.rcpt_attempts("bob@one.test")) >= 1
    assert mx.delivered_to("bob@one.test") == []
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [bounce] = h.wait_for(lambda: senders_mx.messages(), what="the DSN at sender.test")
    dsn = parse(bounce.data)
    assert dsn.get_content_type() == "multipart/report"
    [status_part] = [p for p in dsn.iter_parts()
                     if p.get_content_type() == "message/delivery-status"]
    [rcpt_block] = status_part.get_payload()[1:]
    assert "bob@one.test" in rcpt_block["Final-Recipient"]
    assert rcpt_block["Action"].strip() == "failed"
    assert rcpt_block["Status"].strip() == "4.4.7"
