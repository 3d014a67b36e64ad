"""Delivery status notifications (RFC 3464) carry what the sender needs: for each recipient the
last reply (Diagnostic-Code) and the host that gave it (Remote-MTA), whether the message
failed at once (5xx), expired after [queue] max_age or was bounced by the administrator. And
a message still deferred after [queue] delay_warning brings its sender one "delayed" DSN,
once, even across a restart. Against a real DNS server and aiosmtpd receivers: the
recipients' MX answers with scripted replies, the senders' MX collects the reports."""
import email.policy
import re
from email.parser import BytesParser

from herald_fixture import delivery_config, send
from receivers import free_port_on

MX, SENDER_MX = "127.0.0.2", "127.0.0.3"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.3",
]
GREYLISTED = "451 4.7.1 Greylisted: dsn-marker-7Q please come back later"
NO_SUCH_USER = "550 5.1.1 dsn-marker-9Z: no mailbox by that name here"
WARNING_SENT = r"delay warning sent to <alice@sender\.test> as (\S+)"


def start(make_herald, dns_zone, smtp_receiver, replies, delay_warning=None, **options):
    """(herald, one.test's MX, sender.test's MX)."""
    port = free_port_on([MX, SENDER_MX])
    mx = smtp_receiver(MX, port, replies=replies)
    senders_mx = smtp_receiver(SENDER_MX, port)
    config = delivery_config(dns_zone(ZONE), port, **options)
    if delay_warning is not None:
        config["queue"]["delay_warning"] = delay_warning
    return make_herald(**config), mx, senders_mx


def report_of(received):
    """(the DSN, its human text, its per-message fields, its per-recipient blocks)."""
    dsn = BytesParser(policy=email.policy.default).parsebytes(received.data)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    parts = list(dsn.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    [status] = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    blocks = status.get_payload()
    human = " ".join(parts[0].get_content().split())  # the wrapped lines as one
    return dsn, human, blocks[0], blocks[1:]


def field(block, name):
    value = block[name]
    assert value is not None, f"no {name} in {dict(block.items())}"
    return " ".join(str(value).split())


def reports(senders_mx, subject):
    return [m for m in senders_mx.messages() if report_of(m)[0]["Subject"] == subject]


def warnings(senders_mx):
    return reports(senders_mx, "Delayed Mail (still being retried)")


def bounces(senders_mx):
    return reports(senders_mx, "Undelivered Mail Returned to Sender")


def deferrals(h, msg_id):
    return len(h.events(msg_id, "=="))


def test_delay_warning_once_with_the_last_reply_then_the_expiry_bounce(
        make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [GREYLISTED]},
                              retry=["1s"], max_age="25s", delay_warning="3s")
    msg_id = send(h, "alice@sender.test", ["bob@one.test", "carol@one.test"])
    warning_id = h.wait_for_log(rf"^\S+ {re.escape(msg_id)} {WARNING_SENT}$").group(1)
    [received] = h.wait_for(lambda: warnings(senders_mx), what="the delay warning at sender.test")
    assert received.mail_from in ("", "<>"), "a DSN has the null sender"
    assert received.rcpt_tos == ["alice@sender.test"]
    dsn, human, per_message, [bob] = report_of(received)
    assert dsn["Auto-Submitted"].startswith("auto-replied")
    assert field(per_message, "X-Herald-Queue-ID") == msg_id
    assert field(bob, "Final-Recipient") == "rfc822; bob@one.test"
    assert field(bob, "Action") == "delayed"
    assert field(bob, "Status") == "4.7.1"
    assert field(bob, "Diagnostic-Code") == f"smtp; {GREYLISTED}"
    assert field(bob, "Remote-MTA") == "dns; mx.one.test"
    until = field(bob, "Will-Retry-Until")
    assert field(bob, "Last-Attempt-Date")
    assert "still trying" in human and f"will give up at {until}" in human, human
    assert "dsn-marker-7Q" in human and "mx.one.test" in human, human
    assert len(mx.delivered_to("carol@one.test")) == 1, "carol was delivered, not delayed"
    assert "Final-Recipient: rfc822; carol" not in received.data.decode()

    # Retried more, then restarted (the warned fact is on disk): still the one warning.
    seen = deferrals(h, msg_id)
    h.wait_for(lambda: deferrals(h, msg_id) >= seen + 2, what="two more deferrals")
    h.restart()
    seen = deferrals(h, msg_id)
    h.wait_for(lambda: deferrals(h, msg_id) >= seen + 2, what="deferrals after the restart")
    assert len(re.findall(r"delay warning sent", h.mainlog())) == 1, h.mainlog()
    assert len(warnings(senders_mx)) == 1
    assert warning_id != msg_id

    # Expired: the bounce carries the last reply and its host too.
    h.wait_for(lambda: h.completed(msg_id), timeout=60, what="expired and Completed")
    [bounced] = h.wait_for(lambda: bounces(senders_mx), what="the expiry bounce")
    _, human, _, [bob] = report_of(bounced)
    assert field(bob, "Action") == "failed"
    assert field(bob, "Status") == "4.4.7"
    assert field(bob, "Diagnostic-Code") == f"smtp; {GREYLISTED}"
    assert field(bob, "Remote-MTA") == "dns; mx.one.test"
    assert field(bob, "Last-Attempt-Date")
    assert bob["Will-Retry-Until"] is None
    assert "expired" in human and "dsn-marker-7Q" in human, human
    assert len(warnings(senders_mx)) == 1


def test_permanent_failure_dsn_carries_the_reply_and_the_host(make_herald, dns_zone,
                                                              smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [NO_SUCH_USER]})
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    [received] = h.wait_for(lambda: bounces(senders_mx), what="the DSN at sender.test")
    _, human, _, [bob] = report_of(received)
    assert field(bob, "Final-Recipient") == "rfc822; bob@one.test"
    assert field(bob, "Action") == "failed"
    assert field(bob, "Status") == "5.1.1"
    assert field(bob, "Diagnostic-Code") == f"smtp; {NO_SUCH_USER}"
    assert field(bob, "Remote-MTA") == "dns; mx.one.test"
    assert field(bob, "Last-Attempt-Date")
    assert "dsn-marker-9Z" in human and "mx.one.test" in human, human
    h.wait_for(lambda: h.completed(msg_id), what="Completed")


def test_an_administrators_bounce_says_so_and_gives_the_last_error(make_herald, dns_zone,
                                                                   smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [GREYLISTED]}, retry=["1h"])
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    h.wait_for(lambda: deferrals(h, msg_id), what="the first deferral")
    result = h.cli("queue", "bounce", msg_id)
    assert result.returncode == 0, result.stderr
    [received] = h.wait_for(lambda: bounces(senders_mx), what="the DSN at sender.test")
    _, human, _, [bob] = report_of(received)
    assert "bounced by the administrator" in human, human
    assert "dsn-marker-7Q" in human, human
    assert field(bob, "Action") == "failed"
    assert field(bob, "Status") == "5.0.0"
    assert field(bob, "Diagnostic-Code") == f"smtp; {GREYLISTED}"
    assert field(bob, "Remote-MTA") == "dns; mx.one.test"


def test_no_delay_warning_when_they_are_off(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [GREYLISTED]},
                              retry=["1s"], max_age="6s", delay_warning=0)
    msg_id = send(h, "alice@sender.test", ["bob@one.test"])
    h.wait_for(lambda: h.completed(msg_id), timeout=60, what="expired and Completed")
    h.wait_for(lambda: bounces(senders_mx), what="the expiry bounce")
    assert deferrals(h, msg_id) >= 3
    assert warnings(senders_mx) == []
    assert "delay warning" not in h.mainlog()


def test_no_delay_warning_to_the_null_sender(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [GREYLISTED]},
                              retry=["1s"], delay_warning="2s")
    msg_id = send(h, "", ["bob@one.test"])
    # Deferred well past the delay: a warning would have gone by now.
    h.wait_for(lambda: deferrals(h, msg_id) >= 5, what="deferrals past delay_warning")
    assert "delay warning" not in h.mainlog()
    assert re.findall(r"^\S+ (\S+) <= ", h.mainlog(), re.M) == [msg_id], "nothing else queued"
    assert senders_mx.messages() == []


def test_check_config_refuses_a_bad_delay_warning_with_its_line(make_herald):
    for value, error in (("soon", r"queue\.delay_warning: 'soon' is not a duration"),
                         ("1d", r"queue\.delay_warning must be shorter than queue\.max_age")):
        h = make_herald(start=False, queue={"max_age": "1d", "delay_warning": value})
        result = h.cli("check-config")
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr
        lines = h.config_path.read_text().splitlines()
        line = next(i for i, l in enumerate(lines, 1) if l.startswith("delay_warning"))
        assert re.search(rf"herald\.toml:{line}: {error}", stderr), stderr
