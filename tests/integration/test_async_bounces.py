"""Asynchronous bounces and complaints (issue 18, docs/events.md "Asynchronous bounces and
complaints"): with `[bounces] domain`, Herald sends from a VERP return path
(b+<queue id>.<mac>=<local>=<domain>@<bounce domain>); the DSNs (RFC 3464) and ARF reports
(RFC 5965) that come back there, as the big providers send them (tests/integration/reports/,
through report_fixtures.render), become `bounced`/`deferred` (async) and `complaint` events,
add to the suppression list, and are never queued or delivered. Forged tokens, malformed
reports, reports without the original, a 10 MB DSN and strangers trying to relay through the
bounce domain are the bad input.

Herald delivers to an aiosmtpd receiver (a smarthost on 127.0.0.1) and writes its events to the
file sink. The reports come, as from a receiver's MTA, from 127.0.0.9: outside
[relay] networks (set to 127.0.0.1/32), no AUTH."""
import email
import re

import pytest

from herald_fixture import free_port, message, transaction
from event_support import (FILE_SINK, arrivals, crlf, deliver_report, delivery_lines, is_suppressed,
                           check, metric_sum, outside_smtp, read_events, scrape, smarthost,
                           wait_events)

BOUNCE_DOMAIN = "bounces.herald.test"
FBL = f"fbl@{BOUNCE_DOMAIN}"
SENDER_DOMAIN = "sender.test"
SENDER = f"alice@{SENDER_DOMAIN}"
RCPT = "bob@one.test"
REMOTE_MTA = "mx.one.test"
FEEDBACK_SENDER = "feedback@fbl.provider.test"  # MAIL FROM of the providers' ARF reports
ADMIN_TOKEN = "async-bounce-admin-token-0123456789"

VERP = re.compile(r"^b\+(?P<qid>[0-9a-z]{20})\.(?P<mac>[A-Za-z0-9]{16})"
                  r"=(?P<local>[^@]+)=(?P<domain>[^=@]+)@" + re.escape(BOUNCE_DOMAIN) + "$")

DSN_FIXTURES = ["gmail_dsn", "microsoft_ndr", "yahoo_dsn", "postfix_dsn", "exim_dsn",
                "exim_legacy", "delayed_dsn"]
ARF_FIXTURES = ["arf_yahoo", "arf_microsoft_jmrp", "arf_rfc5965"]
# [suppression] add_on by default, bounce categories only (docs/events.md).
DEFAULT_ADD_ON = {"invalid-recipient", "bad-domain", "inactive-mailbox"}
# A mainlog line about a report Herald could not use names it so (ASSUMED wording: one of
# these words, or the message's queue id from the token).
REPORT_WORDS = re.compile(r"(?i)\b(dsn|arf|report|feedback|complaint|fbl|malformed|forged|"
                          r"unparsable|unreadable|not a)\b")


@pytest.fixture
def reports():
    """tests/integration/report_fixtures.py: render(name, **values) -> bytes, FIXTURES."""
    try:
        import report_fixtures
    except ImportError as e:
        pytest.fail(f"tests/integration/report_fixtures.py (the DSN/ARF fixtures) is missing: {e}")
    return report_fixtures


def expected_of(reports, name, kind):
    expected = reports.FIXTURES[name]
    assert expected["kind"] == kind, (name, expected)
    return expected


def start(make_herald, smtp_receiver, bounces=None, suppression=None, **sections):
    """(herald, receiver) with [bounces] domain and fbl_address, relaying only for 127.0.0.1,
    the admin API (for /metrics) and the file event sink."""
    receiver = smtp_receiver()
    admin_port = free_port()
    config = dict(
        relay={"networks": ["127.0.0.1/32"]},
        bounces={"domain": BOUNCE_DOMAIN, "fbl_address": FBL, **(bounces or {})},
        event_sink=FILE_SINK,
        admin={"http": f"127.0.0.1:{admin_port}", "token": ADMIN_TOKEN},
        **smarthost(receiver))
    if suppression is not None:
        config["suppression"] = suppression
    config.update(sections)
    h = make_herald(**config)
    h.admin_port = admin_port
    return h, receiver


def metrics(h):
    return scrape(h.admin_port, ADMIN_TOKEN)


def async_bounces_counted(h, category):
    """herald_bounces_total{category,kind="async"} (docs/events.md); the implementation in
    progress names it herald_bounces_by_category_total, beside the older unlabelled
    herald_bounces_total: either is read until the two agree."""
    samples = metrics(h)
    return sum(metric_sum(samples, name, category=category, kind="async")
               for name in ("herald_bounces_total", "herald_bounces_by_category_total"))


def send_original(h, receiver, rcpt=RCPT, sender=SENDER):
    """Sends one message from a relay client and waits until the receiver has it. Returns
    (queue id, the MAIL FROM the receiver saw, the Message-ID)."""
    data = message(sender=sender, to=rcpt, subject="newsletter")
    message_id = re.search(r"^Message-ID: (\S+)", data, re.M).group(1)
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, sender, [rcpt], data)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    [got] = [m for m in receiver.messages() if m.parsed()["Message-ID"] == message_id]
    return msg_id, got.mail_from, message_id


def verp_of(h, receiver, rcpt=RCPT):
    msg_id, mail_from, message_id = send_original(h, receiver, rcpt)
    match = VERP.match(mail_from)
    assert match, f"not a VERP return path: {mail_from!r}"
    assert match.group("qid") == msg_id, (mail_from, msg_id)
    return msg_id, mail_from, message_id


def render(reports, name, return_path, message_id, rcpt=RCPT):
    data = reports.render(name, RETURN_PATH=return_path, RECIPIENT=rcpt, MESSAGE_ID=message_id,
                          SENDER=SENDER, REMOTE_MTA=REMOTE_MTA)
    return crlf(data)


def forge(verp, how):
    """A VERP address Herald did not make, from one it did."""
    m = VERP.match(verp)
    qid, mac, local, domain = m.group("qid", "mac", "local", "domain")

    def rotate(c):
        if c.isdigit():
            return str((int(c) + 1) % 10)
        base = ord("a") if c.islower() else ord("A")
        return chr((ord(c) - base + 1) % 26 + base)

    if how == "wrong-mac":
        return f"b+{qid}.{''.join(rotate(c) for c in mac)}={local}={domain}@{BOUNCE_DOMAIN}"
    if how == "other-recipient":
        return f"b+{qid}.{mac}=carol={domain}@{BOUNCE_DOMAIN}"
    if how == "other-message":
        last = "0" if qid[-1] != "0" else "1"
        return f"b+{qid[:-1]}{last}.{mac}={local}={domain}@{BOUNCE_DOMAIN}"
    if how == "no-mac":
        return f"b+{qid}={local}={domain}@{BOUNCE_DOMAIN}"
    raise ValueError(how)


def assert_not_queued(h, receiver, msg_id):
    """Nothing but the original was queued or delivered: the queue is empty, any other
    arrival line has no delivery line, the receiver holds just the original."""
    assert h.queue_list_json() == [], h.queue_list_json()
    for other in set(arrivals(h)) - {msg_id}:
        assert not delivery_lines(h, other), h.events(other)
    assert [m.rcpt_tos for m in receiver.messages()] == [[RCPT]], receiver.messages()


def new_log_lines(h, before):
    return h.mainlog()[len(before):].splitlines()


def assert_alive(h):
    with h.smtp() as s:
        assert s.noop()[0] == 250
    h.assert_alive()


# -- VERP ---------------------------------------------------------------------------------------

def test_mail_leaves_from_a_verp_address_per_recipient(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    data = message(sender=SENDER, to=RCPT, subject="two recipients")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [RCPT, "carol@one.test"], data)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    got = receiver.messages()
    # One return path per recipient, so one transaction per recipient.
    assert sorted(m.rcpt_tos[0] for m in got) == [RCPT, "carol@one.test"]
    assert all(len(m.rcpt_tos) == 1 for m in got), got
    macs = set()
    for m in got:
        match = VERP.match(m.mail_from)
        assert match, f"not a VERP return path: {m.mail_from!r}"
        local, domain = m.rcpt_tos[0].split("@")
        assert match.group("qid") == msg_id
        assert (match.group("local"), match.group("domain")) == (local, domain), m.mail_from
        macs.add(match.group("mac"))
        # The header is the sender's, unchanged.
        sent_from = email.message_from_string(data)["From"]
        assert f"From: {sent_from}\r\n".encode() in m.data, m.data[:400]
        assert m.data.endswith(data.encode().split(b"\r\n\r\n", 1)[1])
    assert len(macs) == 2, "the mac must depend on the recipient"
    key = h.spool_dir / "bounce.key"
    # 256 bits as 64 hex digits and a newline, readable by Herald's user alone.
    assert key.stat().st_size == 65 and key.stat().st_mode & 0o777 == 0o600


def test_the_null_sender_and_a_quoted_local_part_keep_their_return_path(make_herald,
                                                                        smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        bounce = transaction(s, "", [RCPT], message(sender="mailer-daemon@sender.test", to=RCPT))
        quoted = transaction(s, SENDER, ['"a b"@one.test'], message(sender=SENDER, to=RCPT))
    h.wait_for(lambda: h.completed(bounce) and h.completed(quoted), what="both Completed")
    by_rcpt = {m.rcpt_tos[0]: m.mail_from for m in receiver.messages()}
    assert by_rcpt[RCPT] in ("", "<>"), by_rcpt
    assert by_rcpt['"a b"@one.test'] == SENDER, by_rcpt


# -- DSNs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DSN_FIXTURES)
def test_a_dsn_becomes_an_event_and_is_never_delivered(make_herald, smtp_receiver, reports, name):
    expected = expected_of(reports, name, "dsn")
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, message_id = verp_of(h, receiver)
    rcpt_reply, data_reply = deliver_report(h, verp, render(reports, name, verp, message_id))
    assert rcpt_reply[0] == 250, rcpt_reply
    assert data_reply[0] == 250, data_reply
    kind = expected["event"]
    assert kind in ("bounced", "deferred"), expected
    delayed = kind == "deferred"
    [event] = wait_events(h, kind, recipient=RCPT, queue_id=msg_id)
    assert event.get("async") is True, event
    category = expected.get("category")
    if category:
        assert event.get("category") == category, (event, expected)
    if expected.get("reply"):  # found in the text: the event's reply is that reply
        assert expected["reply"] in event.get("reply", ""), (event, expected)
    if not delayed:
        assert category, f"{name}: a failed DSN's fixture names its category"
        h.wait_for(lambda: [l for l in h.events(msg_id) if f"category={category}" in l],
                   what=f"a mainlog line of {msg_id} with category={category}")
        h.wait_for(lambda: async_bounces_counted(h, category) >= 1,
                   what=f'herald_bounces_total{{category="{category}",kind="async"}}')
    if not delayed and category in DEFAULT_ADD_ON:
        suppressed, out = h.wait_for(
            lambda: (lambda r: r if r[0] else None)(check(h, RCPT, SENDER_DOMAIN)),
            what=f"{RCPT} on {SENDER_DOMAIN}'s list")
        assert category in out, out
        # A report without the original's headers does not say whose message it was: its
        # recipient goes on the global list.
        global_entry = expected.get("read_from") == "text"
        assert is_suppressed(h, RCPT, "other.test") == global_entry
    else:
        assert not is_suppressed(h, RCPT, SENDER_DOMAIN)
    assert not read_events(h, "complaint")
    assert_not_queued(h, receiver, msg_id)


def test_a_dsn_from_the_same_network_as_the_relay_clients_is_read_too(make_herald,
                                                                      smtp_receiver, reports):
    """A report from a trusted client (127.0.0.1, in relay networks) is a report all the
    same: not relayed anywhere."""
    expected = expected_of(reports, "postfix_dsn", "dsn")
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, message_id = verp_of(h, receiver)
    rcpt_reply, data_reply = deliver_report(h, verp, render(reports, "postfix_dsn", verp,
                                                            message_id), source="127.0.0.1")
    assert rcpt_reply[0] == 250 and data_reply[0] == 250, (rcpt_reply, data_reply)
    [event] = wait_events(h, "bounced", recipient=RCPT, queue_id=msg_id)
    assert event.get("async") is True and event.get("category") == expected["category"], event
    assert_not_queued(h, receiver, msg_id)


# -- ARF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ARF_FIXTURES)
def test_an_arf_report_becomes_a_complaint_and_suppresses(make_herald, smtp_receiver, reports,
                                                          name):
    expected = expected_of(reports, name, "arf")
    assert expected["event"] == "complaint", expected
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, message_id = verp_of(h, receiver)
    rcpt_reply, data_reply = deliver_report(h, FBL, render(reports, name, verp, message_id),
                                            mail_from=FEEDBACK_SENDER)
    assert rcpt_reply[0] == 250 and data_reply[0] == 250, (rcpt_reply, data_reply)
    [event] = wait_events(h, "complaint", recipient=RCPT, queue_id=msg_id)
    assert event.get("feedback_type") == expected["feedback_type"], (event, expected)
    suppressed, out = h.wait_for(
        lambda: (lambda r: r if r[0] else None)(check(h, RCPT, SENDER_DOMAIN)),
        what=f"{RCPT} on {SENDER_DOMAIN}'s list after the complaint")
    assert "complaint" in out.lower() or expected["feedback_type"] in out, out
    assert not read_events(h, "bounced", recipient=RCPT)
    assert_not_queued(h, receiver, msg_id)


def test_a_complaint_does_not_suppress_without_complaint_in_add_on(make_herald, smtp_receiver,
                                                                   reports):
    expected = expected_of(reports, "arf_rfc5965", "arf")
    h, receiver = start(make_herald, smtp_receiver,
                        suppression={"add_on": ["invalid-recipient", "bad-domain"]})
    msg_id, verp, message_id = verp_of(h, receiver)
    rcpt_reply, data_reply = deliver_report(h, FBL, render(reports, "arf_rfc5965", verp,
                                                           message_id), mail_from=FEEDBACK_SENDER)
    assert data_reply[0] == 250, data_reply
    [event] = wait_events(h, "complaint", recipient=RCPT, queue_id=msg_id)
    assert event.get("feedback_type") == expected["feedback_type"], event
    assert not is_suppressed(h, RCPT, SENDER_DOMAIN)


# -- forgeries and bad input -----------------------------------------------------------------

@pytest.mark.parametrize("how", ["wrong-mac", "other-recipient", "other-message", "no-mac"])
def test_a_forged_verp_address_is_refused_at_rcpt_and_counted(make_herald, smtp_receiver, how):
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, _ = verp_of(h, receiver)
    forged = forge(verp, how)
    rcpt_reply, data_reply = deliver_report(h, forged, b"Subject: x\r\n\r\nnever read\r\n")
    code, text = rcpt_reply
    assert code == 550 and text.startswith(b"5.1.1"), rcpt_reply
    results = ("forged", "malformed") if how == "no-mac" else ("forged",)
    h.wait_for(lambda: metric_sum(metrics(h), "herald_reports_total", kind="dsn",
                                  result=results) >= 1,
               what=f'herald_reports_total{{kind="dsn",result={results}}}')
    h.wait_for(lambda: forged in h.rejectlog(), what="the refusal in the rejectlog")
    assert not read_events(h, "bounced") and not read_events(h, "deferred")
    assert not is_suppressed(h, RCPT, SENDER_DOMAIN)
    assert_not_queued(h, receiver, msg_id)
    # The real one is still taken.
    with outside_smtp(h) as s:
        assert s.mail("")[0] == 250
        assert s.rcpt(verp)[0] == 250


@pytest.mark.parametrize("case", ["forged-return-path", "arf_no_original"])
def test_an_arf_report_that_names_no_verified_message_is_dropped(make_herald, smtp_receiver,
                                                                 reports, case):
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, message_id = verp_of(h, receiver)
    if case == "forged-return-path":
        expected_of(reports, "arf_rfc5965", "arf")
        data = render(reports, "arf_rfc5965", forge(verp, "wrong-mac"), message_id)
        results = ("forged",)
    else:
        expected_of(reports, "arf_no_original", "arf")
        data = render(reports, "arf_no_original", verp, message_id)
        results = ("forged", "malformed")
    before = h.mainlog()
    rcpt_reply, data_reply = deliver_report(h, FBL, data, mail_from=FEEDBACK_SENDER)
    assert rcpt_reply[0] == 250 and data_reply[0] == 250, (rcpt_reply, data_reply)
    h.wait_for(lambda: metric_sum(metrics(h), "herald_reports_total", result=results) >= 1,
               what=f"herald_reports_total{{result={results}}}")
    h.wait_for(lambda: [l for l in new_log_lines(h, before) if REPORT_WORDS.search(l)],
               what="a mainlog line about the dropped report")
    assert not read_events(h, "complaint")
    assert not is_suppressed(h, RCPT, SENDER_DOMAIN)
    assert_not_queued(h, receiver, msg_id)
    assert_alive(h)


@pytest.mark.parametrize("name,target", [("malformed_dsn", "verp"), ("not_a_report", "verp"),
                                         ("not_a_report", "fbl"), ("malformed_dsn", "fbl")])
def test_malformed_reports_get_a_log_line_and_break_nothing(make_herald, smtp_receiver, reports,
                                                            name, target):
    expected = reports.FIXTURES[name]
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, message_id = verp_of(h, receiver)
    before = h.mainlog()
    rcpt = verp if target == "verp" else FBL
    rcpt_reply, data_reply = deliver_report(h, rcpt, render(reports, name, verp, message_id),
                                            mail_from="" if target == "verp" else FEEDBACK_SENDER)
    assert rcpt_reply[0] == 250, rcpt_reply
    # ASSUMED: taken (250) and dropped; a refusal for good (5xx) after DATA would do too.
    assert data_reply[0] == 250 or 500 <= data_reply[0] < 600, data_reply
    classified = target == "verp" and expected.get("event") in ("bounced", "deferred")
    if classified:
        # The fallback found a reply code in the text: an ordinary asynchronous bounce.
        [event] = wait_events(h, expected["event"], recipient=RCPT, queue_id=msg_id)
        assert event.get("category") == expected["category"] and event.get("async") is True
        h.wait_for(lambda: [l for l in new_log_lines(h, before)
                            if msg_id in l and f"category={expected['category']}" in l],
                   what="the mainlog line of the report")
    else:
        h.wait_for(lambda: [l for l in new_log_lines(h, before)
                            if REPORT_WORDS.search(l) or msg_id in l],
                   what="a mainlog line about the unusable report")
        if data_reply[0] == 250:
            h.wait_for(lambda: metric_sum(metrics(h), "herald_reports_total",
                                          result=("malformed", "forged")) >= 1,
                       what='herald_reports_total{result="malformed"}')
        assert not read_events(h, "bounced") and not read_events(h, "deferred")
        assert not is_suppressed(h, RCPT, SENDER_DOMAIN)
    assert not read_events(h, "complaint")
    assert_not_queued(h, receiver, msg_id)
    assert_alive(h)


def with_returned_message(report, size):
    """The report with `size` bytes more of returned message: added to its last part (the
    returned message or its headers) before the closing boundary, or as a message/rfc822
    third part when it has only two."""
    parsed = email.message_from_bytes(report)
    boundary = parsed.get_boundary()
    assert boundary, "the fixture is not a multipart report"
    closing = b"--" + boundary.encode() + b"--"
    head, found, tail = report.rpartition(closing)
    assert found, "no closing boundary"
    line = b"Returned body line " + b"x" * 56 + b"\r\n"
    body = line * (size // len(line) + 1)
    if len(parsed.get_payload()) >= 3:
        return head + b"\r\n" + body + closing + tail
    part = (b"--" + boundary.encode() + b"\r\nContent-Type: message/rfc822\r\n\r\n"
            b"From: <" + SENDER.encode() + b">\r\nTo: <" + RCPT.encode() + b">\r\n"
            b"Subject: newsletter\r\n\r\n" + body)
    return head + part + closing + tail


def test_a_ten_megabyte_dsn_is_read(make_herald, smtp_receiver, reports):
    expected = expected_of(reports, "postfix_dsn", "dsn")
    h, receiver = start(make_herald, smtp_receiver, limits={"max_message_size": "20M"})
    msg_id, verp, message_id = verp_of(h, receiver)
    big = with_returned_message(render(reports, "postfix_dsn", verp, message_id),
                                10 * 1024 * 1024)
    assert len(big) > 10 * 1024 * 1024
    rcpt_reply, data_reply = deliver_report(h, verp, big)
    assert rcpt_reply[0] == 250 and data_reply[0] == 250, (rcpt_reply, data_reply)
    [event] = wait_events(h, "bounced", recipient=RCPT, queue_id=msg_id)
    assert event.get("async") is True and event.get("category") == expected["category"], event
    assert_not_queued(h, receiver, msg_id)
    assert_alive(h)


def test_a_report_over_the_size_limit_is_refused(make_herald, smtp_receiver, reports):
    expected_of(reports, "postfix_dsn", "dsn")
    h, receiver = start(make_herald, smtp_receiver, limits={"max_message_size": "1M"})
    msg_id, verp, message_id = verp_of(h, receiver)
    big = with_returned_message(render(reports, "postfix_dsn", verp, message_id),
                                2 * 1024 * 1024)
    rcpt_reply, data_reply = deliver_report(h, verp, big)
    assert rcpt_reply[0] == 250, rcpt_reply
    assert data_reply[0] == 552 and data_reply[1].startswith(b"5.3.4"), data_reply
    assert not read_events(h, "bounced")
    assert_not_queued(h, receiver, msg_id)


# -- no open relay --------------------------------------------------------------------------------

def test_the_bounce_domain_is_open_to_reports_only(make_herald, smtp_receiver):
    """From 127.0.0.9 (not in relay networks, no AUTH): the VERP addresses and the FBL address
    are taken, nothing else is relayed."""
    h, receiver = start(make_herald, smtp_receiver)
    msg_id, verp, _ = verp_of(h, receiver)
    with outside_smtp(h) as s:
        assert s.mail("")[0] == 250
        assert s.rcpt(verp)[0] == 250
        s.rset()
        assert s.mail(FEEDBACK_SENDER)[0] == 250
        assert s.rcpt(FBL)[0] == 250
        s.rset()
        assert s.mail("spammer@outside.test")[0] == 250
        code, text = s.rcpt("victim@example.net")
        assert code == 554 and text.startswith(b"5.7.1"), (code, text)
        for rcpt in (f"victim%example.net@{BOUNCE_DOMAIN}",          # percent hack
                     f"@{BOUNCE_DOMAIN}:victim@example.net",          # source route
                     f"someone@{BOUNCE_DOMAIN}",                      # ASSUMED: 550 5.1.1
                     f"b+{msg_id}=victim=example.net@{BOUNCE_DOMAIN}",
                     forge(verp, "wrong-mac").replace("=bob=one.test@", "=victim=example.net@"),
                     f"victim@{BOUNCE_DOMAIN}.example.net"):
            code, text = s.rcpt(rcpt)
            assert 500 <= code < 600, (rcpt, code, text)
        # Nothing accepted: DATA has no recipient to take.
        code, _ = s.docmd("DATA")
        assert code in (503, 554), code
    assert_not_queued(h, receiver, msg_id)
    assert "victim@example.net" not in "".join(l for l in h.mainlog().splitlines() if " <= " in l)
