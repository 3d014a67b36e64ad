"""Bulk-sender compliance (issue 19, parts 2 and 3): the deferral explainer, the compliance
gate, and `herald doctor --bulk`.

- The explainer: an aiosmtpd receiver, the MX of dest.test in a real DNS server (unbound),
  answers each of the 40 provider replies of provider_replies.py (copied from the providers'
  published error lists, each with its source) to its own recipient. Every deferral (`==`) or
  bounce (`**`) line must carry the reply's cause, and an `explain` line and an `explained`
  event must say that cause and what the doctor's checks find in the sender's DNS now (an SPF
  record that does not cover the sending address: FAIL spf; no PTR for it: a FAIL about the
  PTR). `[compliance] explain = false` turns the explanations off. Retries are an hour away,
  so each recipient is tried once during a test.
- The gate: relayed mail that counts as bulk (List-Id, Precedence: bulk, or the From:
  domain's daily volume) is judged by six rules against DNS setups served by unbound: in log
  mode a `compliance` line and event, in reject mode a 550 at end of DATA naming the first
  failing rule, its fix and the providers that state it. The complaint rate is read from a
  <spool_dir>/compliance.json written before Herald starts.
- `herald doctor --bulk --domain D`: the same six rules for a domain, one line each, exit 1
  when one fails.

One message per recipient in the explainer test: a 421 at RCPT ends the SMTP session (RFC 5321
3.8), and every recipient still open in it is deferred with that reply."""
import json
import re
import subprocess
import time

import pytest

from browser import browser  # noqa: F401 (a fixture)
from herald_fixture import (HERALD_BIN, LOCAL_USERS, delivery_config, free_port, message,
                            queued_id, transaction)
from event_support import FILE_SINK, read_events, wait_events
from provider_replies import CAUSES, PROVIDER_REPLIES
from receivers import free_port_on
from test_dkim import keygen

DOMAIN = "brand.test"            # the sender's domain: envelope and From:
SENDER = f"news@{DOMAIN}"
DEST = "dest.test"               # the recipients' domain
RCPT = f"reader@{DEST}"
MX = "127.0.0.2"                 # the receiver, MX of dest.test (and of brand.test, for DSNs)
GOOD_IP = "192.0.2.10"           # in brand.test's SPF, PTR mail.brand.test, which resolves back
BAD_IP = "192.0.2.99"            # in no SPF record, without a PTR
MAIL_HOST = f"mail.{DOMAIN}"     # the PTR name of GOOD_IP: the HELO name of a good setup
ZONES = ("test.", "2.0.192.in-addr.arpa.")  # so that a missing PTR is NXDOMAIN, not REFUSED
LIST_ID = f"List-Id: <news.{DOMAIN}>"

SPF = f'{DOMAIN}. IN TXT "v=spf1 ip4:{GOOD_IP} -all"'
DMARC = f'_dmarc.{DOMAIN}. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}"'
BASE_ZONE = [
    f"{DEST}. IN MX 10 mx.{DEST}.",
    f"mx.{DEST}. IN A {MX}",
    f"{DOMAIN}. IN MX 10 mx.{DEST}.",
    SPF,
    f"{MAIL_HOST}. IN A {GOOD_IP}",
    f"10.2.0.192.in-addr.arpa. IN PTR {MAIL_HOST}.",
]

# The gate's rules, in the order it judges them.
RULES = ["authentication", "dmarc-record", "one-click-unsubscribe", "reverse-dns", "tls",
         "complaint-rate"]
VERDICT = re.compile(r"(PASS|FAIL|WARN) ([a-z-]+)(?: \((.*?)\))?(?=; (?:PASS|FAIL|WARN) [a-z]|$)")


# -- helpers ------------------------------------------------------------------------------------

def mx_herald(make_herald, dns_zone, smtp_receiver, records=(), replies=None, start=True,
              listeners=("relay",), **sections):
    """(herald, receiver): delivery over MX to one aiosmtpd receiver on MX, replies scripted
    per recipient, a file event sink, relaying for loopback, DNS from unbound serving
    BASE_ZONE + `records`. Deferred mail is retried only after an hour."""
    port = free_port_on([MX])
    receiver = smtp_receiver(MX, port, replies=replies)
    dns = dns_zone(BASE_ZONE + list(records), zones=ZONES)
    config = delivery_config(dns, port, retry=("1h",), event_sink=FILE_SINK,
                             relay={"networks": ["127.0.0.0/8"]})
    for name, body in sections.items():
        if name == "mx":
            config["transport"][-1].update(body)
        else:
            config[name] = body
    return make_herald(listeners=listeners, start=start, **config), receiver


def relay(h, recipients=(RCPT,), extra_headers=(), sender=SENDER):
    """One message from `sender` (also its From:) over SMTP: (code, text) of the end of DATA."""
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail(sender)[0] == 250
        for rcpt in recipients:
            assert s.rcpt(rcpt)[0] == 250, rcpt
        return s.data(message(sender=sender, to=recipients[0], extra_headers=extra_headers))


def relay_ok(h, **kwargs):
    """As relay(), expecting 250; returns the queue id."""
    code, text = relay(h, **kwargs)
    assert code == 250, (code, text)
    return queued_id(text)


def compliance_lines(h, msg_id=None):
    """The mainlog's compliance lines (of `msg_id`, or all), also any quoted whole."""
    wanted = re.escape(msg_id) if msg_id else r"\S+"
    pattern = re.compile(rf'^\S+ {wanted} "?compliance ')
    return [l for l in h.mainlog().splitlines() if pattern.match(l)]


def wait_compliance(h, msg_id):
    """The one compliance line of `msg_id`, `<ts> <id> compliance <domain>: <summary>`:
    (domain, summary)."""
    [line] = h.wait_for(lambda: compliance_lines(h, msg_id),
                        what=f"the compliance line of {msg_id}")
    m = re.match(rf"^\S+ {re.escape(msg_id)} compliance (\S+): (.*)$", line)
    assert m, f"not of the form '<id> compliance <domain>: <summary>': {line}"
    summary = m.group(2)
    return m.group(1), unquote(summary) if summary.startswith('"') else summary


def verdicts(summary):
    """[(level, rule, detail or None)] of a compliance summary, in order."""
    parsed = [m.groups() for m in VERDICT.finditer(summary)]
    assert parsed, f"no verdicts in {summary!r}"
    return parsed


def levels(summary):
    """{rule: level} of a compliance summary, asserting the six rules in their order."""
    parsed = verdicts(summary)
    assert [rule for _, rule, _ in parsed] == RULES, summary
    return {rule: level for level, rule, _ in parsed}


def detail(summary, rule):
    [found] = [d for _, r, d in verdicts(summary) if r == rule]
    return found or ""


def compliance_event(h, msg_id):
    [event] = wait_events(h, "compliance", queue_id=msg_id)
    return event


def days_since_epoch():
    return int(time.time() // 86400)


def seed_volume(h, delivered, complaints, domain=DOMAIN):
    """<spool_dir>/compliance.json with today's figures for `domain`, before Herald starts."""
    h.spool_dir.mkdir(parents=True, exist_ok=True)
    state = {"version": 1,
             "domains": {domain: {str(days_since_epoch()): [0, delivered, complaints]}}}
    (h.spool_dir / "compliance.json").write_text(json.dumps(state))


def dkim_key(tmp_path):
    """A key of brand.test: ([[dkim.key]] table, its TXT record for unbound)."""
    key, record, _ = keygen(tmp_path, "s1", domain=DOMAIN)
    return {"domain": DOMAIN, "selector": "s1", "private_key": str(key)}, record


def with_unsubscribe(h):
    """Makes h's unsubscribe listener HTTPS and adds [unsubscribe] for brand.test on it (h
    made with listeners ("relay", "unsubscribe") and start=False), as test_unsubscribe.py
    does."""
    port = h.port("unsubscribe")
    for listener in h.config["listener"]:
        if listener["mode"] == "unsubscribe":
            listener["tls"] = True
    h.config["unsubscribe"] = {"url": f"https://127.0.0.1:{port}/u", "senders": [DOMAIN]}
    h.write_config()


def good_setup(make_herald, dns_zone, smtp_receiver, tmp_path, compliance, **sections):
    """(herald, receiver) where brand.test meets every rule: SPF covers [preflight] ip, a DMARC
    record, FCrDNS of the ip with [server] hostname its PTR name, one-click unsubscribe added
    by Herald and covered by its DKIM signature (key published), TLS possible."""
    key, record = dkim_key(tmp_path)
    h, receiver = mx_herald(make_herald, dns_zone, smtp_receiver, records=[DMARC, record],
                            start=False, listeners=("relay", "unsubscribe"),
                            compliance=compliance,
                            preflight={"ip": GOOD_IP}, server={"hostname": MAIL_HOST},
                            **{"dkim.key": [key]}, **sections)
    with_unsubscribe(h)
    h.start()
    return h, receiver


def check_config(tmp_path, compliance):
    """`herald check-config` of a small config with this [compliance]: (exit, stdout+stderr)."""
    path = tmp_path / "herald.toml"
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in compliance.items())
    path.write_text(
        '[server]\nhostname = "mail.herald.test"\nspool_dir = "var/spool"\n'
        'log_dir = "var/log"\n\n[[listener]]\naddress = "127.0.0.1:2525"\nmode = "relay"\n\n'
        f"[compliance]\n{body}\n")
    result = subprocess.run([HERALD_BIN, "check-config", "--config", str(path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=30)
    return result.returncode, result.stdout + result.stderr


# -- the deferral explainer ---------------------------------------------------------------------

def delivery_line(h, msg_id, rcpt):
    """The `==` or `**` line of `rcpt` in message `msg_id`: (mark, line), or None yet."""
    for line in h.events(msg_id):
        m = re.search(rf" {re.escape(msg_id)} (==|\*\*) <?{re.escape(rcpt)}>? ", line)
        if m:
            return m.group(1), line
    return None


def unquote(value):
    """A mainlog value Herald quoted (log_value.cpp: \\" \\\\ \\r \\n \\t \\xHH escapes)."""
    assert value.startswith('"') and value.endswith('"'), value
    escapes = {'"': '"', "\\": "\\", "r": "\r", "n": "\n", "t": "\t"}
    return re.sub(r'\\(x[0-9a-fA-F]{2}|.)',
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 3
                  else escapes.get(m.group(1), m.group(1)), value[1:-1])


def explain_lines(h, msg_id, rcpt):
    """The mainlog lines about explaining `rcpt` of message `msg_id`, in the form the
    contract gives (`explain <rcpt> TEXT`, TEXT possibly quoted) or quoted whole."""
    pattern = re.compile(rf'^\S+ {re.escape(msg_id)} "?explain <?{re.escape(rcpt)}>? ')
    return [l for l in h.mainlog().splitlines() if pattern.match(l)]


def explain_text(line):
    """The TEXT of an `<ts> <id> explain <rcpt> TEXT` line (TEXT unquoted if quoted); of a
    line quoted whole too (`<ts> <id> "explain <rcpt> TEXT"`)."""
    rest = line.split(" ", 2)[2]
    if rest.startswith('"'):
        rest = unquote(rest)
    text = rest.split(" ", 2)[2]
    return unquote(text) if text.startswith('"') else text


def well_formed(line):
    """Whether an explain line reads `<ts> <id> explain <rcpt> ...` (not quoted whole)."""
    return re.match(r"^\S+ \S+ explain \S+ ", line) is not None


def explain_texts(h, msg_id, rcpt):
    """The explanations of `rcpt` in message `msg_id`; asserts each line has the form
    `<ts> <id> explain <rcpt> TEXT`."""
    lines = explain_lines(h, msg_id, rcpt)
    assert all(map(well_formed, lines)), \
        f"an explain line not of the form '<ts> <id> explain <rcpt> TEXT': {lines}"
    return [explain_text(l) for l in lines]


def cause_of(line):
    m = re.search(r" cause=(\S+)", line)
    return m.group(1) if m else None


def explained(h, msg_id, rcpt):
    return read_events(h, "explained", queue_id=msg_id, recipient=rcpt)


def test_the_provider_replies_are_a_sound_fixture():
    """The 40 replies each name a cause of the explainer's list and have an SMTP reply
    code; the explainer test below relies on it."""
    assert len(PROVIDER_REPLIES) == 40
    for entry in PROVIDER_REPLIES:
        assert entry["cause"] in CAUSES, entry
        assert re.match(r"^[45]\d\d ", entry["reply"]), entry


def test_each_provider_reply_is_logged_with_its_cause_and_explained_from_the_dns_now(
        make_herald, dns_zone, smtp_receiver):
    """Each of the 40 published provider replies, answered at RCPT to its own recipient,
    gives a `==` (4xx) or `**` (5xx) line with cause=<its cause>, a deferred/bounced event
    with that cause, an `explain` line starting "<cause>: " and an `explained` event with the
    same cause and text. The sending address (BAD_IP) is in no SPF record and has no PTR, so
    the explanations of spf refusals find FAIL spf and those of reverse-dns refusals find no
    PTR."""
    replies = {f"r{i}@{DEST}": [entry["reply"]] for i, entry in enumerate(PROVIDER_REPLIES)}
    h, receiver = mx_herald(make_herald, dns_zone, smtp_receiver, replies=replies,
                            preflight={"ip": BAD_IP})
    ids = {}
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for rcpt in replies:
            data = message(sender=SENDER, to=rcpt, subject=f"explain {rcpt}")
            ids[rcpt] = transaction(s, SENDER, [rcpt], data)

    h.wait_for(lambda: all(delivery_line(h, ids[r], r) for r in replies), timeout=120,
               what="a == or ** line for each of the 40 recipients")
    h.wait_for(lambda: all(explain_lines(h, ids[r], r) and explained(h, ids[r], r)
                           for r in replies),
               timeout=120, what="an explain line and event for each of the 40 recipients")

    problems = []
    for i, entry in enumerate(PROVIDER_REPLIES):
        rcpt, cause, reply = f"r{i}@{DEST}", entry["cause"], entry["reply"]
        msg_id = ids[rcpt]
        wrong = lambda what: problems.append(f"{rcpt} ({reply[:40]}...): {what}")
        mark, line = delivery_line(h, msg_id, rcpt)
        if mark != ("==" if reply[0] == "4" else "**"):
            wrong(f"marked {mark}: {line}")
        if cause_of(line) != cause:
            wrong(f"cause={cause_of(line)} instead of {cause}: {line}")
        kind = "deferred" if reply[0] == "4" else "bounced"
        failures = read_events(h, kind, queue_id=msg_id, recipient=rcpt)
        if [e.get("cause") for e in failures] != [cause]:
            wrong(f"{kind} events {failures}")
        lines = explain_lines(h, msg_id, rcpt)
        texts = [explain_text(l) for l in lines]
        if not all(map(well_formed, lines)):
            wrong(f"not '<ts> <id> explain <rcpt> TEXT' but quoted whole: {lines}")
        if len(texts) != 1 or not texts[0].startswith(f"{cause}: "):
            wrong(f"explain lines {lines}")
            continue
        text = texts[0]
        events = explained(h, msg_id, rcpt)
        if len(events) != 1:
            wrong(f"explained events {events}")
            continue
        event = events[0]
        if (event.get("cause"), event.get("explanation"), event.get("sender")) != \
                (cause, text, SENDER) or not str(event.get("reply", "")).startswith(reply[:3]):
            wrong(f"explained event {event} (explain line: {text})")
        if cause == "spf" and "FAIL spf" not in text:
            wrong(f"no FAIL spf for {BAD_IP}, which brand.test's SPF does not cover: {text}")
        if cause == "reverse-dns" and not re.search(
                r"FAIL [\w-]*(?:dns|ptr)[\w-]*: [^;]*\bPTR\b", text, re.I):
            wrong(f"no FAIL about the missing PTR of {BAD_IP}: {text}")
        if "fix: " not in text:
            wrong(f"no fix: {text}")
    assert not problems, "\n".join(problems)


def test_the_explanation_says_the_checks_pass_when_the_dns_is_fixed_since(
        make_herald, dns_zone, smtp_receiver):
    """An SPF refusal when SPF covers the sending address now: the explanation says PASS and
    that the checks pass now, with no FAIL."""
    reply = "550 5.7.27 This message was blocked because it didn't pass SPF authentication."
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, replies={RCPT: [reply]},
                     preflight={"ip": GOOD_IP})
    msg_id = relay_ok(h)
    h.wait_for(lambda: explain_lines(h, msg_id, RCPT), what="the explain line")
    [text] = explain_texts(h, msg_id, RCPT)
    assert text.startswith("spf: "), text
    assert "PASS spf" in text and "FAIL" not in text, text
    assert "the checks pass now" in text, text


def test_explain_false_logs_the_cause_but_explains_nothing(
        make_herald, dns_zone, smtp_receiver):
    """[compliance] explain = false: the bounce still carries its cause, but no explain line
    and no explained event come, by the time the DSN (made after the bounce) has arrived at
    brand.test's MX."""
    reply = "550 5.7.27 This message was blocked because it didn't pass SPF authentication."
    h, receiver = mx_herald(make_herald, dns_zone, smtp_receiver, replies={RCPT: [reply]},
                            preflight={"ip": BAD_IP}, compliance={"explain": False})
    msg_id = relay_ok(h)
    h.wait_for(lambda: delivery_line(h, msg_id, RCPT), what="the ** line")
    mark, line = delivery_line(h, msg_id, RCPT)
    assert mark == "**" and cause_of(line) == "spf", line
    h.wait_for(lambda: [m for m in receiver.messages() if m.mail_from in ("", "<>")],
               what="the DSN at brand.test's MX")
    assert h.stop() == 0
    assert " explain " not in h.mainlog(), h.mainlog()
    assert read_events(h, "explained") == []


def test_trace_shows_the_explain_line_and_summary_counts_the_cause(
        make_herald, dns_zone, smtp_receiver):
    """`herald trace <queue id>` shows every mainlog line of the message, the explain line
    among them; `herald summary` counts the deferral under its cause."""
    reply = "451 4.7.23 ip-address The sending IP address for this message doesn't have a PTR record"
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, replies={RCPT: [reply]},
                     preflight={"ip": BAD_IP})
    msg_id = relay_ok(h)
    [line] = h.wait_for(lambda: explain_lines(h, msg_id, RCPT), what="the explain line")
    result = h.cli("trace", msg_id)
    out = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, result
    assert line.split(" ", 1)[1] in out, out
    summary = h.cli("summary", "--json")
    assert summary.returncode == 0, summary
    assert json.loads(summary.stdout)["causes"] == {"reverse-dns": 1}, summary.stdout


# -- the compliance gate ------------------------------------------------------------------------

def test_log_mode_accepts_bulk_mail_that_breaks_rules_and_says_which(
        make_herald, dns_zone, smtp_receiver):
    """A List-Id message from brand.test, which has no DMARC record and no one-click
    unsubscribe: accepted with 250; a compliance line lists the six rules in order, FAIL
    dmarc-record naming _dmarc.brand.test and FAIL one-click-unsubscribe; the compliance
    event names those two rules."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, compliance={"mode": "log"},
                     preflight={"ip": GOOD_IP}, server={"hostname": MAIL_HOST})
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    domain, summary = wait_compliance(h, msg_id)
    assert domain == DOMAIN
    found = levels(summary)
    assert found["authentication"] == "PASS", summary
    assert found["dmarc-record"] == "FAIL", summary
    assert f"_dmarc.{DOMAIN}" in detail(summary, "dmarc-record"), summary
    assert found["one-click-unsubscribe"] == "FAIL", summary
    assert found["reverse-dns"] == "PASS" and found["tls"] == "PASS", summary
    event = compliance_event(h, msg_id)
    assert event["sender"] == SENDER and event["domain"] == DOMAIN, event
    assert event["reason"] == summary, event
    assert event["rules"] == ["dmarc-record", "one-click-unsubscribe"], event


def test_reject_mode_refuses_bulk_mail_naming_the_first_rule_its_fix_and_the_providers(
        make_herald, dns_zone, smtp_receiver):
    """The same message in reject mode: 550 5.7.1 at end of DATA naming dmarc-record (the
    first rule that fails), its fix and Google, Yahoo, Microsoft; nothing is queued."""
    h, receiver = mx_herald(make_herald, dns_zone, smtp_receiver,
                            compliance={"mode": "reject"}, preflight={"ip": GOOD_IP},
                            server={"hostname": MAIL_HOST})
    code, text = relay(h, extra_headers=[LIST_ID])
    text = text.decode("utf-8", "replace")
    assert code == 550 and text.startswith("5.7.1"), (code, text)
    assert "Bulk mail refused: dmarc-record: " in text, text
    assert f"_dmarc.{DOMAIN}" in text, text
    assert "fix: publish a DMARC record" in text, text
    assert "(required by Google, Yahoo, Microsoft)" in text, text
    assert not re.search(r"^\S+ \S+ <= ", h.mainlog(), re.M), h.mainlog()
    assert h.queue_list_json() == []
    assert receiver.messages() == []


def test_reject_mode_accepts_bulk_mail_that_meets_every_rule(
        make_herald, dns_zone, smtp_receiver, tmp_path):
    """brand.test meets every rule (SPF, DMARC, FCrDNS with the HELO name, one-click
    unsubscribe signed by Herald, TLS, no complaints): accepted, and its compliance line says
    PASS for all six rules; the event names no failing rule."""
    h, receiver = good_setup(make_herald, dns_zone, smtp_receiver, tmp_path,
                             compliance={"mode": "reject"})
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    domain, summary = wait_compliance(h, msg_id)
    assert domain == DOMAIN
    assert set(levels(summary).values()) == {"PASS"}, summary
    event = compliance_event(h, msg_id)
    assert not event.get("rules"), event
    [delivered] = h.wait_for(lambda: receiver.messages(), what="the message delivered")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in delivered.data


def test_precedence_bulk_counts_as_bulk_and_plain_mail_does_not(
        make_herald, dns_zone, smtp_receiver):
    """Log mode: a plain message gets no compliance line; one with Precedence: bulk (sent
    after it) gets one."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, compliance={"mode": "log"},
                     preflight={"ip": GOOD_IP})
    plain = relay_ok(h)
    bulk = relay_ok(h, extra_headers=["Precedence: bulk"])
    wait_compliance(h, bulk)
    compliance_event(h, bulk)
    assert compliance_lines(h, plain) == [], h.mainlog()
    assert read_events(h, "compliance", queue_id=plain) == []


def test_the_daily_volume_makes_the_second_plain_message_bulk(
        make_herald, dns_zone, smtp_receiver):
    """daily_volume = 2: brand.test's first plain message of the day is not bulk, its second
    one is (counted at end of DATA, itself included)."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver,
                     compliance={"mode": "log", "daily_volume": 2}, preflight={"ip": GOOD_IP})
    first = relay_ok(h)
    second = relay_ok(h)
    wait_compliance(h, second)
    assert compliance_lines(h, first) == [], h.mainlog()


def test_a_high_complaint_rate_from_the_state_file_fails(make_herald, dns_zone, smtp_receiver):
    """compliance.json written before start says 10 complaints for 1000 delivered today:
    FAIL complaint-rate at 1.00%, named in the event."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, records=[DMARC], start=False,
                     compliance={"mode": "log"}, preflight={"ip": GOOD_IP},
                     server={"hostname": MAIL_HOST})
    seed_volume(h, delivered=1000, complaints=10)
    h.start()
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    _, summary = wait_compliance(h, msg_id)
    assert levels(summary)["complaint-rate"] == "FAIL", summary
    assert "1.00%" in detail(summary, "complaint-rate"), summary
    assert "complaint-rate" in compliance_event(h, msg_id)["rules"]


def test_a_low_complaint_rate_passes(make_herald, dns_zone, smtp_receiver):
    """1 complaint for 1000 delivered (0.10%) is under the 0.3% limit: PASS complaint-rate."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, records=[DMARC], start=False,
                     compliance={"mode": "log"}, preflight={"ip": GOOD_IP})
    seed_volume(h, delivered=1000, complaints=1)
    h.start()
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    _, summary = wait_compliance(h, msg_id)
    assert levels(summary)["complaint-rate"] == "PASS", summary


def test_a_transport_without_tls_fails_the_tls_rule(make_herald, dns_zone, smtp_receiver):
    """The route's smtp transport has tls = "none": FAIL tls, naming the transport."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, records=[DMARC],
                     compliance={"mode": "log"}, preflight={"ip": GOOD_IP}, mx={"tls": "none"})
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    _, summary = wait_compliance(h, msg_id)
    assert levels(summary)["tls"] == "FAIL", summary
    assert "none" in detail(summary, "tls"), summary
    assert "tls" in compliance_event(h, msg_id)["rules"]


def test_reject_mode_names_tls_when_it_is_the_only_rule_broken(
        make_herald, dns_zone, smtp_receiver, tmp_path):
    """The good setup with tls = "none" on the transport: the 550 names the tls rule and its
    fix, and Google."""
    h, _ = good_setup(make_herald, dns_zone, smtp_receiver, tmp_path,
                      compliance={"mode": "reject"}, mx={"tls": "none"})
    code, text = relay(h, extra_headers=[LIST_ID])
    text = text.decode("utf-8", "replace")
    assert code == 550, (code, text)
    assert "Bulk mail refused: tls: " in text and "fix: " in text, text
    assert "Google" in text, text


def test_an_unknown_sending_address_is_a_warning_not_a_refusal(
        make_herald, dns_zone, smtp_receiver, tmp_path):
    """Without [preflight] ip (nor a source_address) the reverse-dns rule cannot be judged:
    WARN, and reject mode still accepts when nothing else fails (authentication by the DKIM
    signature)."""
    h, _ = good_setup(make_herald, dns_zone, smtp_receiver, tmp_path,
                      compliance={"mode": "reject"})
    h.stop()
    h.config["preflight"] = {"mode": "off"}
    h.write_config()
    h.start()
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    _, summary = wait_compliance(h, msg_id)
    found = levels(summary)
    assert found["reverse-dns"] == "WARN", summary
    assert "FAIL" not in found.values(), summary


def test_mode_off_judges_nothing(make_herald, dns_zone, smtp_receiver):
    """mode = "off": a bulk message that breaks rules is accepted and delivered with no
    compliance line or event."""
    h, receiver = mx_herald(make_herald, dns_zone, smtp_receiver, compliance={"mode": "off"},
                            preflight={"ip": BAD_IP})
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    h.wait_for(lambda: h.completed(msg_id), what="the message delivered")
    wait_events(h, "delivered", queue_id=msg_id)
    assert h.stop() == 0
    assert compliance_lines(h) == [], h.mainlog()
    assert read_events(h, "compliance") == []


def test_a_reload_turns_the_gate_from_off_to_reject(make_herald, dns_zone, smtp_receiver):
    """[compliance] changes without a restart: the same bulk message, accepted with the gate
    off, is refused once a reload sets reject mode."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, compliance={"mode": "off"},
                     preflight={"ip": GOOD_IP}, server={"hostname": MAIL_HOST})
    relay_ok(h, extra_headers=[LIST_ID])
    h.config["compliance"] = {"mode": "reject"}
    h.write_config()
    result = h.cli("reload")
    assert result.returncode == 0 and b"[compliance]" not in result.stdout, result
    code, text = relay(h, extra_headers=[LIST_ID])
    assert code == 550 and b"Bulk mail refused: dmarc-record: " in text, (code, text)


def test_local_mail_is_not_judged(make_herald, dns_zone, smtp_receiver):
    """A List-Id message to a local mailbox gets no compliance line; a relayed one sent after
    it does."""
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, compliance={"mode": "log"},
                     preflight={"ip": GOOD_IP},
                     local={"recipients": LOCAL_USERS, "domains": ["local.herald.test"]})
    local = relay_ok(h, recipients=("bob@local.herald.test",), extra_headers=[LIST_ID])
    relayed = relay_ok(h, extra_headers=[LIST_ID])
    wait_compliance(h, relayed)
    assert compliance_lines(h, local) == [], h.mainlog()


@pytest.mark.parametrize("key, value", [("mode", "sometimes"), ("max_complaint_rate", 2)])
def test_check_config_refuses_bad_compliance_values(tmp_path, herald_bin, key, value):
    """check-config refuses mode = "sometimes" and max_complaint_rate = 2 with exit 2
    (docs/config.md: 2 after printing every problem) and a line naming the key."""
    code, out = check_config(tmp_path, {key: value})
    assert code == 2, out
    assert f"compliance.{key}" in out, out


def test_check_config_takes_good_compliance_values(tmp_path, herald_bin):
    """Every [compliance] key at a valid value (daily_volume at its minimum 1): exit 0."""
    code, out = check_config(tmp_path, {"mode": "reject", "daily_volume": 1,
                                        "max_complaint_rate": 0.001,
                                        "block_lists": ["bl.test"], "explain": False})
    assert code == 0, out


# -- herald doctor --bulk -----------------------------------------------------------------------

DOCTOR_LINE = re.compile(r"^(PASS|WARN|FAIL) ([a-z-]+): (.*) \(([^()]*(?:\([^()]*\))?[^()]*)\)$")


def doctor_bulk(h, dns, *args):
    """`herald --config C --dns DNS doctor --bulk --domain brand.test ARGS`: (exit, {rule:
    (level, detail, providers)}, raw result)."""
    result = h.cli("--dns", dns, "doctor", "--bulk", "--domain", DOMAIN, *args)
    rules = {}
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        m = DOCTOR_LINE.match(line)
        if m:
            rules[m.group(2)] = (m.group(1), m.group(3), m.group(4))
    return result.returncode, rules, result


def doctor_setup(make_herald, dns_zone, tmp_path, records=(), unsubscribe=True, dkim=True,
                 **sections):
    """(herald not started, dns): a config for brand.test (a DKIM key and [unsubscribe] when
    asked), unbound serving BASE_ZONE + records (+ the key's record)."""
    extra = list(records)
    if dkim:
        key, record = dkim_key(tmp_path)
        extra.append(record)
        sections["dkim.key"] = [key]
    dns = dns_zone(BASE_ZONE + extra, zones=ZONES)
    listeners = ("relay", "unsubscribe") if unsubscribe else ("relay",)
    h = make_herald(listeners=listeners, start=False, server={"hostname": MAIL_HOST},
                    **sections)
    if unsubscribe:
        with_unsubscribe(h)
    h.write_config()
    return h, dns


def test_doctor_bulk_passes_a_domain_that_meets_every_rule(make_herald, dns_zone, tmp_path):
    """SPF covers --ip, DMARC published, FCrDNS with --helo the PTR name, [unsubscribe] and a
    DKIM key for the domain: six PASS lines, each naming its providers; exit 0."""
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, records=[DMARC])
    code, rules, result = doctor_bulk(h, dns, "--ip", GOOD_IP, "--helo", MAIL_HOST)
    assert code == 0, result
    assert list(rules) == RULES, result.stdout.decode()
    assert {level for level, _, _ in rules.values()} == {"PASS"}, result.stdout.decode()
    assert "Google" in rules["dmarc-record"][2], rules
    assert "Yahoo" in rules["one-click-unsubscribe"][2], rules


def test_doctor_bulk_fails_a_domain_without_dmarc_or_unsubscribe(make_herald, dns_zone,
                                                                 tmp_path):
    """No DMARC record and no [unsubscribe]: FAIL dmarc-record and one-click-unsubscribe,
    authentication still PASS (SPF covers --ip); exit 1."""
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, unsubscribe=False)
    code, rules, result = doctor_bulk(h, dns, "--ip", GOOD_IP, "--helo", MAIL_HOST)
    assert code == 1, result
    assert rules["authentication"][0] == "PASS", rules
    assert rules["dmarc-record"][0] == "FAIL", rules
    # Not PASS: without [unsubscribe] the messages may still carry their own headers.
    assert rules["one-click-unsubscribe"][0] in ("WARN", "FAIL"), rules


def test_doctor_bulk_authentication_passes_by_a_published_dkim_key(make_herald, dns_zone,
                                                                   tmp_path):
    """--ip outside SPF, but a configured DKIM key of the domain is published:
    authentication PASS. Without the key and outside SPF: FAIL."""
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, records=[DMARC])
    _, rules, result = doctor_bulk(h, dns, "--ip", BAD_IP)
    assert rules.get("authentication", ("?",))[0] == "PASS", result
    del h.config["dkim.key"]
    h.write_config()
    code, rules, result = doctor_bulk(h, dns, "--ip", BAD_IP)
    assert rules.get("authentication", ("?",))[0] == "FAIL", result
    assert code == 1, result


def test_doctor_bulk_fails_reverse_dns_without_a_ptr(make_herald, dns_zone, tmp_path):
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, records=[DMARC])
    code, rules, result = doctor_bulk(h, dns, "--ip", BAD_IP, "--helo", MAIL_HOST)
    assert rules.get("reverse-dns", ("?",))[0] == "FAIL", result
    assert code == 1, result


def test_doctor_bulk_fails_tls_for_a_transport_without_it(make_herald, dns_zone, tmp_path):
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, records=[DMARC],
                          transport=[{"name": "plain", "type": "smtp", "host": "127.0.0.1",
                                      "port": 2525, "tls": "none"}],
                          route=[{"sender": "*", "transport": "plain"}])
    code, rules, result = doctor_bulk(h, dns, "--ip", GOOD_IP, "--helo", MAIL_HOST)
    assert rules.get("tls", ("?",))[0] == "FAIL", result
    assert code == 1, result


def test_doctor_bulk_reads_the_complaint_rate_from_the_spool(make_herald, dns_zone, tmp_path):
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, records=[DMARC])
    seed_volume(h, delivered=1000, complaints=10)
    code, rules, result = doctor_bulk(h, dns, "--ip", GOOD_IP, "--helo", MAIL_HOST)
    assert rules.get("complaint-rate", ("?",))[0] == "FAIL", result
    assert "1.00%" in rules["complaint-rate"][1], rules
    assert code == 1, result


def test_doctor_bulk_json_gives_the_same_rules(make_herald, dns_zone, tmp_path):
    """--json: valid JSON naming the six rules with the levels of the text report."""
    h, dns = doctor_setup(make_herald, dns_zone, tmp_path, unsubscribe=False)
    code, rules, _ = doctor_bulk(h, dns, "--ip", GOOD_IP, "--helo", MAIL_HOST)
    result = h.cli("--dns", dns, "doctor", "--bulk", "--domain", DOMAIN, "--ip", GOOD_IP,
                   "--helo", MAIL_HOST, "--json")
    assert result.returncode == code == 1, result
    document = json.loads(result.stdout)
    entries = document if isinstance(document, list) else next(
        v for v in document.values() if isinstance(v, list))
    as_json = {(e.get("rule") or e.get("check")): e.get("level") for e in entries}
    assert as_json == {rule: level for rule, (level, _, _) in rules.items()}, document
    assert set(as_json) == set(RULES), document


# -- the console ---------------------------------------------------------------------------------

def test_the_console_shows_why_mail_is_deferred_and_the_bulk_verdicts(
        make_herald, dns_zone, smtp_receiver, browser):
    """The operator's console in a real browser (headless Chromium): after a bulk message is
    judged and its delivery deferred by Gmail's SPF reply, the page shows the cause with its
    count and the explainer's finding, and the domain's verdict, from /api/summary."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    token = "console-token-0123456789abcdef"
    admin_port = free_port()
    reply = ("421 4.7.27 Your email has been rate limited because SPF authentication didn't "
             "pass for this message.")
    h, _ = mx_herald(make_herald, dns_zone, smtp_receiver, replies={RCPT: [reply]},
                     preflight={"ip": BAD_IP},
                     admin={"http": f"127.0.0.1:{admin_port}", "token": token})
    msg_id = relay_ok(h, extra_headers=[LIST_ID])
    wait_compliance(h, msg_id)
    h.wait_for(lambda: explain_lines(h, msg_id, RCPT), what="the explain line")

    browser.get(f"http://127.0.0.1:{admin_port}/")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "save").click()

    def text_of(element_id):
        return browser.find_element(By.ID, element_id).text

    wait = WebDriverWait(browser, 30)
    wait.until(lambda _: "spf" in text_of("causes") and DOMAIN in text_of("compliance"))
    causes = browser.find_elements(By.CSS_SELECTOR, "#causes tr")
    [spf] = [row for row in causes if row.find_elements(By.TAG_NAME, "td")[0].text == "spf"]
    cells = [td.text for td in spf.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "1", cells
    assert cells[2].startswith("spf: SPF did not pass at the receiver"), cells
    assert "FAIL spf" in cells[2] and "fix:" in cells[2], cells
    [row] = browser.find_elements(By.CSS_SELECTOR, "#compliance tr")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[:3] == [DOMAIN, "1", "1"], cells
    assert "FAIL one-click-unsubscribe" in cells[3], cells
    assert text_of("status") == "", text_of("status")
