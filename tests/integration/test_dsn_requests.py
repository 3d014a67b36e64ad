"""What a sender asks of DSNs (RFC 3461, issue 22): Herald offers DSN, takes RET, ENVID,
NOTIFY and ORCPT from a real client (smtplib), keeps them in the queue, honours them in its
own reports (no bounce for NOTIFY=NEVER, a success notice for NOTIFY=SUCCESS, the whole
message for RET=FULL, Original-Envelope-Id and Original-Recipient), and passes them on to a
next hop that offers DSN (aiosmtpd taught DSN), which then reports alone. `herald sendmail`
asks the same with -N, -R and -V."""
import hashlib
import re
import secrets

import requests

from herald_fixture import delivery_config, free_port, message, queued_id
from receivers import free_port_on
from test_dsn import MX, NO_SUCH_USER, SENDER_MX, ZONE, bounces, field, report_of, reports
from test_local_delivery import LOCAL, local

BODY_MARK = "body-marker-5K"


def start(make_herald, dns_zone, smtp_receiver, mx_offer=(), replies=None, **settings):
    """(herald, one.test's MX, sender.test's MX); LOCAL's mailboxes are Herald's own."""
    port = free_port_on([MX, SENDER_MX])
    mx = smtp_receiver(MX, port, replies=replies or {}, offer=mx_offer)
    senders_mx = smtp_receiver(SENDER_MX, port)
    config = delivery_config(dns_zone(ZONE), port)
    return make_herald(**config, local=local("maildir"), **settings), mx, senders_mx


def send_with(h, recipients, mail_options=(), rcpt_options=()):
    """One message from alice@sender.test with these MAIL and RCPT parameters: its id."""
    with h.smtp("relay") as s:
        code, ehlo = s.ehlo("client.herald.test")
        assert "DSN" in ehlo.decode().split("\n"), ehlo
        assert s.mail("alice@sender.test", list(mail_options))[0] == 250
        for rcpt in recipients:
            code, text = s.rcpt(rcpt, list(rcpt_options))
            assert code == 250, (code, text)
        data = message(sender="alice@sender.test", to=recipients[0],
                       body=f"{BODY_MARK}\r\n")
        code, text = s.data(data)
        assert code == 250, (code, text)
        return queued_id(text)


def success_notice(h, senders_mx, msg_id):
    """The success notice of msg_id that reached alice@sender.test: its per-message fields and
    its one recipient's."""
    [received] = h.wait_for(
        lambda: reports(senders_mx, "Successful Mail Delivery Report"),
        what="the success notice")
    assert re.search(rf" {msg_id} success notice \S+ queued for <alice@sender\.test>",
                     h.mainlog())
    _, _, per_message, [block] = report_of(received)
    return per_message, block


def test_notify_never_sends_no_bounce(make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [NO_SUCH_USER]})
    msg_id = send_with(h, ["bob@one.test"], rcpt_options=["NOTIFY=NEVER"])
    h.wait_for_log(rf" {msg_id} no bounce: the sender asked for none \(NOTIFY\)$")
    h.wait_for(lambda: h.completed(msg_id), what="the message to leave the queue")
    assert not senders_mx.messages()


def test_a_bounce_carries_envid_orcpt_and_the_whole_message_for_ret_full(
        make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [NO_SUCH_USER]})
    send_with(h, ["bob@one.test"], mail_options=["RET=FULL", "ENVID=QQ+2B314"],
              rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;Bob+2Bold@one.test"])
    [received] = h.wait_for(lambda: bounces(senders_mx), what="the bounce")
    dsn, human, per_message, [block] = report_of(received)
    assert field(per_message, "Original-Envelope-Id") == "QQ+314"
    assert field(block, "Original-Recipient") == "rfc822;Bob+old@one.test"
    assert field(block, "Action") == "failed"
    [returned] = [p for p in dsn.iter_parts() if p.get_content_type() == "message/rfc822"]
    assert BODY_MARK in returned.as_string()


def test_the_default_bounce_returns_the_header_section_only(make_herald, dns_zone,
                                                             smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [NO_SUCH_USER]})
    send_with(h, ["bob@one.test"], mail_options=["RET=HDRS"])
    [received] = h.wait_for(lambda: bounces(senders_mx), what="the bounce")
    assert BODY_MARK.encode() not in received.data


def test_notify_success_to_a_next_hop_without_dsn_says_relayed(make_herald, dns_zone,
                                                               smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver)
    msg_id = send_with(h, ["bob@one.test"], rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    _, block = success_notice(h, senders_mx, msg_id)
    assert field(block, "Action") == "relayed"
    assert field(block, "Final-Recipient") == "rfc822; bob@one.test"
    assert field(block, "Status") == "2.0.0"
    # What the next hop got: no DSN parameters, since it does not offer DSN.
    [delivered] = mx.messages()
    assert delivered.rcpt_options == []


def test_notify_success_to_a_local_mailbox_says_delivered(make_herald, dns_zone,
                                                         smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver)
    send_with(h, [f"bob@{LOCAL}"], rcpt_options=["NOTIFY=SUCCESS"])
    [received] = h.wait_for(
        lambda: reports(senders_mx, "Successful Mail Delivery Report"),
        what="the success notice")
    block = report_of(received)[3][0]
    assert field(block, "Action") == "delivered"
    assert field(block, "Final-Recipient") == f"rfc822; bob@{LOCAL}"


def test_a_next_hop_that_offers_dsn_gets_the_request_and_reports_alone(
        make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver, mx_offer=("DSN",))
    msg_id = send_with(h, ["bob@one.test"], mail_options=["RET=HDRS", "ENVID=id-1"],
                       rcpt_options=["NOTIFY=SUCCESS", "ORCPT=rfc822;bob@one.test"])
    h.wait_for(lambda: h.completed(msg_id), what="the delivery")
    [delivered] = mx.messages()
    assert {"ENVID=id-1", "RET=HDRS"} <= set(delivered.mail_options), delivered.mail_options
    assert delivered.rcpt_options == ["NOTIFY=SUCCESS", "ORCPT=rfc822;bob@one.test"]
    assert " success notice " not in h.mainlog()
    assert not senders_mx.messages()


def test_bad_dsn_parameters_are_refused(make_herald):
    h = make_herald()
    with h.smtp("relay") as s:
        s.ehlo("client.herald.test")
        assert s.mail("alice@sender.test", ["RET=EVERYTHING"])[0] == 501
        assert s.mail("alice@sender.test", ["ENVID=a=b"])[0] == 501
        assert s.mail("alice@sender.test")[0] == 250
        assert s.rcpt("bob@one.test", ["NOTIFY=NEVER,DELAY"])[0] == 501
        assert s.rcpt("bob@one.test", ["ORCPT=bob@one.test"])[0] == 501


def sendmail(h, recipient, *options):
    """`herald sendmail -f alice@sender.test OPTIONS recipient`: the message's queue id."""
    text = f"Subject: by sendmail\n\n{BODY_MARK}\n"
    result = h.cli("sendmail", "-f", "alice@sender.test", *options, recipient, input=text)
    assert result.returncode == 0, result.stderr
    arrivals = [l for l in h.mainlog().splitlines() if " <= alice@sender.test " in l]
    return arrivals[-1].split()[1]


def test_sendmail_asks_for_a_success_notice_with_its_own_envelope_id(make_herald, dns_zone,
                                                                    smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver)
    msg_id = sendmail(h, "bob@one.test", "-N", "success,failure", "-V", "cron job 7")
    per_message, block = success_notice(h, senders_mx, msg_id)
    assert field(per_message, "Original-Envelope-Id") == "cron job 7"
    assert field(block, "Action") == "relayed"


def test_sendmail_n_never_sends_no_bounce_and_r_full_returns_the_body(make_herald, dns_zone,
                                                                     smtp_receiver):
    h, mx, senders_mx = start(make_herald, dns_zone, smtp_receiver,
                              replies={"bob@one.test": [NO_SUCH_USER],
                                       "carol@one.test": [NO_SUCH_USER]})
    never = sendmail(h, "bob@one.test", "-Nnever")
    h.wait_for_log(rf" {never} no bounce: the sender asked for none \(NOTIFY\)$")
    sendmail(h, "carol@one.test", "-R", "full")
    [received] = h.wait_for(lambda: bounces(senders_mx), what="carol's bounce")
    assert BODY_MARK.encode() in received.data
    assert "carol@one.test" in received.data.decode(errors="replace")


def test_sendmail_refuses_a_dsn_value_smtp_would_refuse(make_herald):
    h = make_herald()
    result = h.cli("sendmail", "-N", "never,success", "bob@one.test", input="Subject: x\n\nx\n")
    assert result.returncode == 2
    assert "-N takes never, or success, delay and failure" in result.stderr.decode()
    assert " <= " not in h.mainlog()


def test_the_api_asks_for_notifications_as_smtp_does(make_herald, dns_zone, smtp_receiver):
    token = secrets.token_hex(32)
    port = free_port()
    h, mx, senders_mx = start(
        make_herald, dns_zone, smtp_receiver, admin={"http": f"127.0.0.1:{port}"},
        api_key=[{"name": "app", "sender_domains": ["sender.test"],
                  "key_sha256": hashlib.sha256(token.encode()).hexdigest()}])

    def post(dsn):
        body = {"from": "alice@sender.test", "to": ["bob@one.test"], "subject": "s",
                "text": BODY_MARK, "dsn": dsn}
        return requests.post(f"http://127.0.0.1:{port}/api/v1/messages", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
    refused = post({"notify": "success", "ret": "body"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid_field", refused.text
    assert "dsn.ret" in refused.json()["message"], refused.text
    r = post({"notify": "success", "envid": "api order 7"})
    assert r.status_code in (200, 202), r.text
    per_message, block = success_notice(h, senders_mx, r.json()["id"])
    assert field(per_message, "Original-Envelope-Id") == "api order 7"
    assert field(block, "Action") == "relayed"
