"""Suppression lists (issue 18, docs/events.md "Suppression"): `herald suppress` on the
database while the server runs, refusals at RCPT for submission, the HTTP sending API and
sendmail, `[suppression] relayed` (reject or drop) for relayed mail, queued mail dropped at
its next attempt, hard bounces that add to the sender domain's list by themselves, and
/api/v1/suppressions.

Every Herald here delivers to one aiosmtpd receiver (a smarthost on 127.0.0.1) and writes its
events to the file sink <log_dir>/events."""
import hashlib
import re
import secrets
import urllib.parse

import pytest

from herald_fixture import free_port, message, openssl_passwd, queued_id, transaction
from event_support import (FILE_SINK, arrivals, check, entry_date, export_rows,
                           has_plausible_date, http, is_recent_timestamp, is_suppressed, json_of,
                           listed_entries, plausible_dates, read_events, smarthost, suppress,
                           suppress_ok, wait_events)

PASSWORD = "correct horse battery staple"
DOMAIN = "example.com"          # the sender domain whose list most tests use
OTHER = "other.test"            # another sender domain, with a list of its own
SENDER = f"app@{DOMAIN}"
GONE = "x@y.test"               # the recipient that gets suppressed
FINE = "ok@y.test"              # a recipient that never is
ADMIN_TOKEN = "suppression-admin-token-0123456789"
API_TOKEN = secrets.token_hex(32)        # api key "news": sender_domains [DOMAIN]
OTHER_API_TOKEN = secrets.token_hex(32)  # api key "other": sender_domains [OTHER]


# 550 5.7.1 <addr> suppressed since 2026-12-03: <reason> (docs/events.md)
def refusal_pattern(address):
    return re.compile(rf"^5\.7\.1 .*{re.escape(address)}.* suppressed since "
                      rf"(?P<date>\d{{4}}-\d{{2}}-\d{{2}}): (?P<reason>.*)$", re.S)


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def start(make_herald, smtp_receiver, replies=None, suppression=None, **sections):
    """(herald, receiver): relay and submission listeners (alice may send as DOMAIN and
    OTHER, plaintext AUTH on loopback), two API keys, the admin API with ADMIN_TOKEN, the file
    event sink, everything delivered to `receiver` (replies scripted per recipient)."""
    receiver = smtp_receiver(replies=replies)
    admin_port = free_port()
    config = dict(
        user=[{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
               "sender_domains": [DOMAIN, OTHER]}],
        smtp={"allow_plaintext_auth_on_loopback": True},
        api_key=[{"name": "news", "key_sha256": sha256(API_TOKEN), "sender_domains": [DOMAIN]},
                 {"name": "other", "key_sha256": sha256(OTHER_API_TOKEN),
                  "sender_domains": [OTHER]}],
        admin={"http": f"127.0.0.1:{admin_port}", "token": ADMIN_TOKEN},
        event_sink=FILE_SINK,
        **smarthost(receiver))
    if suppression is not None:
        config["suppression"] = suppression
    config.update(sections)
    h = make_herald(listeners=("relay", "submission"), **config)
    h.base_url = f"http://127.0.0.1:{admin_port}"
    return h, receiver


def submission(h):
    """An authenticated submission session (alice)."""
    s = h.smtp("submission")
    s.ehlo("client.herald.test")
    s.login("alice", PASSWORD)
    return s


def assert_refused(reply, address, reason):
    code, text = reply
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    assert code == 550, (code, text)
    match = refusal_pattern(address).match(text)
    assert match, f"not '5.7.1 <{address}> suppressed since DATE: {reason}': {text!r}"
    assert match.group("date") in plausible_dates(), text
    assert match.group("reason").strip() == reason, text


def assert_suppressed_event(event, reason):
    """docs/events.md: a `suppressed` event carries the list entry's reason in `reason` (the
    reason alone, not the whole refusal) and its date in `since`."""
    assert event.get("reason") == reason, event
    assert str(event.get("since", ""))[:10] in plausible_dates(), event


def no_bounce_sent(h, receiver, msg_id):
    """Nothing but `msg_id` arrived (no DSN was queued) and the receiver never saw the null
    sender."""
    assert arrivals(h) == [msg_id], arrivals(h)
    assert [m for m in receiver.messages() if m.mail_from in ("", "<>")] == []


def suppressed_line(h, msg_id, address):
    """The mainlog line that says `address` of `msg_id` was dropped as suppressed."""
    lines = [l for l in h.events(msg_id) if address in l and "suppress" in l.lower()]
    return lines


# -- the command --------------------------------------------------------------------------------

def test_add_check_remove(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    suppressed, out = check(h, GONE, DOMAIN)
    assert suppressed, out
    assert "asked" in out and has_plausible_date(out), out
    # Another sender domain's list, and another address, are not touched.
    assert not is_suppressed(h, GONE, OTHER)
    assert not is_suppressed(h, "someone-else@y.test", DOMAIN)
    # Adding it again keeps one entry (ASSUMED: exit 0, or 1 for "already there").
    code, out, err = suppress(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    assert code in (0, 1), (code, out, err)
    listed = [e for e in listed_entries(json_of(suppress_ok(h, "list", "--json").encode()))
              if e.get("address") == GONE]
    assert len(listed) == 1, listed
    suppress_ok(h, "remove", GONE, "--domain", DOMAIN)
    assert not is_suppressed(h, GONE, DOMAIN)


def test_a_global_entry_matches_every_sender_domain(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--reason", "gdpr erasure")
    for domain in (DOMAIN, OTHER, "anything.example"):
        suppressed, out = check(h, GONE, domain)
        assert suppressed and "gdpr erasure" in out, (domain, out)
    assert is_suppressed(h, GONE)
    [entry] = [e for e in listed_entries(json_of(suppress_ok(h, "list", "--json").encode()))
               if e.get("address") == GONE]
    assert entry.get("domain") == "*", entry
    # A domain entry of the same address is another entry: removing it leaves the global one.
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "domain one")
    suppress_ok(h, "remove", GONE, "--domain", DOMAIN)
    assert is_suppressed(h, GONE, DOMAIN)
    suppress_ok(h, "remove", GONE)
    assert not is_suppressed(h, GONE, DOMAIN) and not is_suppressed(h, GONE)


def test_list_and_list_json(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", "a@y.test", "--domain", DOMAIN, "--reason", "first")
    suppress_ok(h, "add", "b@y.test", "--domain", DOMAIN, "--reason", "second")
    suppress_ok(h, "add", "c@y.test", "--domain", OTHER, "--reason", "third")
    suppress_ok(h, "add", "g@y.test", "--reason", "everywhere")
    text = suppress_ok(h, "list")
    for address in ("a@y.test", "b@y.test", "c@y.test", "g@y.test"):
        assert address in text, text
    mine = suppress_ok(h, "list", "--domain", DOMAIN)
    assert "a@y.test" in mine and "b@y.test" in mine and "c@y.test" not in mine, mine
    entries = listed_entries(json_of(suppress_ok(h, "list", "--json").encode()))
    got = {(e.get("address"), e.get("domain"), e.get("reason")) for e in entries}
    assert got >= {("a@y.test", DOMAIN, "first"), ("b@y.test", DOMAIN, "second"),
                   ("c@y.test", OTHER, "third"), ("g@y.test", "*", "everywhere")}, got
    for e in entries:
        assert is_recent_timestamp(entry_date(e)), e
    only = listed_entries(json_of(suppress_ok(h, "list", "--domain", OTHER, "--json").encode()))
    assert "c@y.test" in {e.get("address") for e in only}
    assert not {"a@y.test", "b@y.test"} & {e.get("address") for e in only}, only


def test_import_csv_and_bare_lines_then_export(make_herald, smtp_receiver, tmp_path):
    h, _ = start(make_herald, smtp_receiver)
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("a1@y.test,example.com,bounced in 2024\n"
                        "a2@y.test,example.com\n"
                        '"a3@y.test",example.com,"asked, twice"\n'
                        "a4@y.test\n")
    code, out, err = suppress(h, "import", str(csv_file))
    assert code == 0, (out, err)
    said = (out + err).replace(str(csv_file), "")
    assert re.search(r"\b4\b", said), f"the count (4) is not reported: {out!r} {err!r}"
    suppressed, text = check(h, "a1@y.test", DOMAIN)
    assert suppressed and "bounced in 2024" in text, text
    assert is_suppressed(h, "a2@y.test", DOMAIN) and not is_suppressed(h, "a2@y.test", OTHER)
    suppressed, text = check(h, "a3@y.test", DOMAIN)
    assert suppressed and "asked, twice" in text, text
    # A bare address without --domain is a global entry.
    assert is_suppressed(h, "a4@y.test", OTHER)

    # One address a line, from stdin, for --domain.
    code, out, err = suppress(h, "import", "-", "--domain", OTHER,
                              input="b1@y.test\nb2@y.test\nb3@y.test\n")
    assert code == 0, (out, err)
    assert re.search(r"\b3\b", out + err), f"the count (3) is not reported: {out!r} {err!r}"
    assert is_suppressed(h, "b1@y.test", OTHER) and not is_suppressed(h, "b1@y.test", DOMAIN)

    rows = export_rows(suppress_ok(h, "export"))
    got = {(r["address"], r["domain"]) for r in rows}
    assert got == {("a1@y.test", DOMAIN), ("a2@y.test", DOMAIN), ("a3@y.test", DOMAIN),
                   ("a4@y.test", "*"), ("b1@y.test", OTHER), ("b2@y.test", OTHER),
                   ("b3@y.test", OTHER)}, rows
    by_address = {r["address"]: r for r in rows}
    assert by_address["a1@y.test"]["reason"] == "bounced in 2024"
    assert by_address["a3@y.test"]["reason"] == "asked, twice"
    assert all(is_recent_timestamp(r["created"]) for r in rows), rows
    only = export_rows(suppress_ok(h, "export", "--domain", OTHER))
    assert {r["address"] for r in only} == {"b1@y.test", "b2@y.test", "b3@y.test"}, only

    # What export writes, import reads: a second server ends up with the same list.
    dump = tmp_path / "export.csv"
    dump.write_text(suppress_ok(h, "export"))
    h2, _ = start(make_herald, smtp_receiver)
    code, out, err = suppress(h2, "import", str(dump))
    assert code == 0, (out, err)
    again = export_rows(suppress_ok(h2, "export"))
    assert ({(r["address"], r["domain"], r["reason"]) for r in again} ==
            {(r["address"], r["domain"], r["reason"]) for r in rows})


@pytest.mark.parametrize("args", [
    ["add", "not an address"],
    ["add", "x@"],
    ["add", "@y.test"],
    ["check", "no-at-sign"],
    ["remove", "two@@y.test"],
    ["add", GONE, "--domain", "not a domain!"],
    ["frobnicate", GONE],
], ids=["spaces", "no-domain", "no-local-part", "check-no-at", "remove-double-at",
        "bad-domain", "unknown-subcommand"])
def test_bad_input_exits_2(make_herald, smtp_receiver, args):
    h, _ = start(make_herald, smtp_receiver)
    code, out, err = suppress(h, *args)
    assert code == 2, (code, out, err)
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, f"not one line on stderr saying what was wrong: {err!r}"
    assert suppress_ok(h, "export").strip() in ("", "address,domain,reason,created")


def test_an_import_file_with_a_bad_line_says_so(make_herald, smtp_receiver, tmp_path):
    """Either behaviour is accepted (docs/events.md does not say): the bad line is skipped and
    counted (exit 0, "1 invalid"), or the import is refused (exit 2, one line on stderr)."""
    h, _ = start(make_herald, smtp_receiver)
    bad = tmp_path / "bad.csv"
    bad.write_text("fine@y.test,example.com,ok\nnot an address,example.com,no\n")
    code, out, err = suppress(h, "import", str(bad))
    if code == 0:
        assert re.search(r"\b1\b[^\n]*(invalid|skipped|bad)", out + err), (out, err)
        assert is_suppressed(h, "fine@y.test", DOMAIN)
    else:
        assert code == 2, (code, out, err)
        assert len([l for l in err.splitlines() if l.strip()]) == 1, err


# -- refused at RCPT ----------------------------------------------------------------------------

def test_submission_refuses_a_suppressed_recipient_at_rcpt(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver)
    # Taken before it is added, and then added while the server runs: the next RCPT sees it
    # (the server keeps its answers only until the list changes).
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(GONE)[0] == 250
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert_refused(s.rcpt(GONE), GONE, "asked")
        assert s.rcpt(FINE)[0] == 250
        code, text = s.data(message(sender=SENDER, to=FINE))
        assert code == 250, text
        msg_id = queued_id(text)
        # The list is the sender domain's: mail from OTHER still goes to GONE.
        other_id = transaction(s, f"app@{OTHER}", [GONE], message(sender=f"app@{OTHER}", to=GONE))
    h.wait_for(lambda: h.completed(msg_id) and h.completed(other_id), what="both Completed")
    assert len(receiver.delivered_to(FINE)) == 1
    [to_gone] = receiver.delivered_to(GONE)
    assert to_gone.mail_from == f"app@{OTHER}"
    [event] = wait_events(h, "suppressed", recipient=GONE)
    assert_suppressed_event(event, "asked")
    assert event.get("sender") == SENDER, event
    assert event.get("user") == "alice", event
    # Removed while the server runs: taken again at once.
    suppress_ok(h, "remove", GONE, "--domain", DOMAIN)
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        code, text = s.rcpt(GONE)
        assert code == 250, text


def test_the_command_works_while_the_server_is_down(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    assert h.stop() == 0
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "added offline")
    assert is_suppressed(h, GONE, DOMAIN)
    h.start()
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert_refused(s.rcpt(GONE), GONE, "added offline")


def test_a_global_entry_is_refused_for_every_sender(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--reason", "hard bounce in 2025")
    with submission(h) as s:
        for sender in (SENDER, f"app@{OTHER}"):
            assert s.mail(sender)[0] == 250
            assert_refused(s.rcpt(GONE), GONE, "hard bounce in 2025")
            s.rset()


def test_the_sending_api_refuses_a_suppressed_recipient(make_herald, smtp_receiver):
    """ASSUMED: the API answers 422 (or 400) with {"code": "suppressed"} and a message naming
    the recipient, as it does for other refused recipients (code "rejected", 422)."""
    h, receiver = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "complained")
    url = f"{h.base_url}/api/v1/messages"
    status, body = http("POST", url, token=API_TOKEN,
                        body={"from": SENDER, "to": [GONE], "subject": "s", "text": "t"})
    answer = json_of(body)
    assert status in (422, 400), (status, body)
    assert answer["code"] == "suppressed", answer
    assert GONE in body.decode(), answer
    assert h.queue_list_json() == [] and arrivals(h) == []
    [event] = wait_events(h, "suppressed", recipient=GONE)
    assert_suppressed_event(event, "complained")
    assert event.get("user") == "api:news", event
    # Another recipient is sent as usual.
    status, body = http("POST", url, token=API_TOKEN,
                        body={"from": SENDER, "to": [FINE], "subject": "s", "text": "t"})
    assert status == 202, body
    h.wait_for(lambda: receiver.delivered_to(FINE), what="the message to ok@y.test")


def test_sendmail_refuses_a_suppressed_recipient(make_herald, smtp_receiver):
    """ASSUMED: a refusal for good, so exit 65 (docs/commands.md), naming the refusal."""
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    result = h.cli("sendmail", "-f", SENDER, GONE, input="Subject: x\n\nbody\n")
    assert result.returncode == 65, result
    assert b"suppressed" in result.stderr, result.stderr
    assert arrivals(h) == []


# -- relayed mail ---------------------------------------------------------------------------------

@pytest.mark.parametrize("suppression", [None, {"relayed": "reject"}], ids=["default", "reject"])
def test_relayed_mail_is_refused_at_rcpt_by_default(make_herald, smtp_receiver, suppression):
    h, _ = start(make_herald, smtp_receiver, suppression=suppression)
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    with h.smtp() as s:  # 127.0.0.1: in the default relay networks, no AUTH
        s.ehlo("client.herald.test")
        assert s.mail(SENDER)[0] == 250
        assert_refused(s.rcpt(GONE), GONE, "asked")
    [event] = wait_events(h, "suppressed", recipient=GONE)
    assert_suppressed_event(event, "asked")
    assert event.get("sender") == SENDER, event
    assert arrivals(h) == []


def test_relayed_mail_is_dropped_when_configured(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver, suppression={"relayed": "drop"})
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [GONE, FINE], message(sender=SENDER, to=FINE))
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    assert len(receiver.delivered_to(FINE)) == 1
    assert receiver.delivered_to(GONE) == [] and receiver.rcpt_attempts(GONE) == []
    assert suppressed_line(h, msg_id, GONE), h.events(msg_id)
    [event] = wait_events(h, "suppressed", recipient=GONE)
    assert event.get("queue_id") == msg_id, event
    assert_suppressed_event(event, "asked")
    assert not read_events(h, "bounced", recipient=GONE), "a dropped recipient is no bounce"
    no_bounce_sent(h, receiver, msg_id)
    # Submission is still refused at RCPT: `relayed` is for relayed mail only.
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert_refused(s.rcpt(GONE), GONE, "asked")


def test_a_message_whose_only_recipient_is_dropped_completes(make_herald, smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver, suppression={"relayed": "drop"})
    suppress_ok(h, "add", GONE, "--reason", "global")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [GONE], message(sender=SENDER, to=GONE))
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    wait_events(h, "suppressed", recipient=GONE, queue_id=msg_id)
    assert receiver.messages() == [] and receiver.rcpt_attempts(GONE) == []
    no_bounce_sent(h, receiver, msg_id)
    assert h.queue_list_json() == []


# -- queued mail ----------------------------------------------------------------------------------

@pytest.mark.parametrize("held", [False, True], ids=["deferred", "held"])
def test_queued_mail_is_dropped_at_its_next_attempt(make_herald, smtp_receiver, held):
    h, receiver = start(make_herald, smtp_receiver, replies={GONE: [450, 250]})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [GONE, FINE], message(sender=SENDER, to=GONE))
    h.wait_for(lambda: h.events(msg_id, "=="), what="the first attempt deferred")
    assert len(receiver.delivered_to(FINE)) == 1
    if held:
        assert h.cli("queue", "hold", msg_id).returncode == 0
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "complained meanwhile")
    if held:
        assert h.cli("queue", "release", msg_id).returncode == 0
    assert h.cli("queue", "flush").returncode == 0
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed after the flush")
    assert receiver.rcpt_attempts(GONE) == [450], "a suppressed recipient was tried again"
    assert receiver.delivered_to(GONE) == []
    [event] = wait_events(h, "suppressed", recipient=GONE)
    assert event.get("queue_id") == msg_id, event
    assert_suppressed_event(event, "complained meanwhile")
    assert suppressed_line(h, msg_id, GONE), h.events(msg_id)
    no_bounce_sent(h, receiver, msg_id)


# -- added by bounces ---------------------------------------------------------------------------

def test_a_hard_bounce_adds_the_recipient_to_the_sender_domains_list(make_herald,
                                                                     smtp_receiver):
    h, receiver = start(make_herald, smtp_receiver, replies={GONE: [550]})  # 550 5.1.1
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [GONE], message(sender=SENDER, to=GONE))
    [failed] = h.wait_for(lambda: h.events(msg_id, "**"), what="the ** line")
    assert "category=invalid-recipient" in failed, failed
    suppressed, out = h.wait_for(lambda: (lambda r: r if r[0] else None)(check(h, GONE, DOMAIN)),
                                 what=f"{GONE} on {DOMAIN}'s list")
    assert "invalid-recipient" in out, out
    assert not is_suppressed(h, GONE, OTHER), "a bounce must not suppress for other senders"
    assert not is_suppressed(h, GONE), "a bounce must not make a global entry"
    # The next message from that domain is refused at RCPT.
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail(SENDER)[0] == 250
        code, text = s.rcpt(GONE)
        assert code == 550 and refusal_pattern(GONE).match(text.decode()), (code, text)
        assert "invalid-recipient" in text.decode(), text
    assert receiver.rcpt_attempts(GONE) == [550]


@pytest.mark.parametrize("add_on,suppressed", [
    (None, False),
    (["invalid-recipient", "mailbox-full"], True),
], ids=["default-add-on", "mailbox-full-in-add-on"])
def test_a_full_mailbox_is_added_only_when_add_on_says_so(make_herald, smtp_receiver, add_on,
                                                           suppressed):
    full = "full@y.test"
    h, _ = start(make_herald, smtp_receiver, replies={full: [552]},  # 552 5.2.2 over quota
                 suppression={"add_on": add_on} if add_on else None)
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        msg_id = transaction(s, SENDER, [full], message(sender=SENDER, to=full))
    [failed] = h.wait_for(lambda: h.events(msg_id, "**"), what="the ** line")
    assert "category=mailbox-full" in failed, failed
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    if suppressed:
        h.wait_for(lambda: is_suppressed(h, full, DOMAIN), what=f"{full} suppressed")
    else:
        wait_events(h, "bounced", recipient=full)
        assert not is_suppressed(h, full, DOMAIN)
        assert not is_suppressed(h, full)


# -- /api/v1/suppressions -------------------------------------------------------------------------

def api_url(h, **query):
    url = f"{h.base_url}/api/v1/suppressions"
    return url + ("?" + urllib.parse.urlencode(query) if query else "")


def api_entries(h, token=ADMIN_TOKEN, **query):
    status, body = http("GET", api_url(h, **query), token=token)
    assert status == 200, (status, body)
    return listed_entries(json_of(body))


def test_the_http_api_lists_adds_and_removes(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", "cli@y.test", "--domain", DOMAIN, "--reason", "from the cli")
    status, body = http("POST", api_url(h), token=ADMIN_TOKEN,
                        body={"address": "p@y.test", "domain": DOMAIN, "reason": "via api"})
    assert status == 201, (status, body)
    suppressed, out = check(h, "p@y.test", DOMAIN)
    assert suppressed and "via api" in out, out
    entries = api_entries(h, domain=DOMAIN)
    got = {(e.get("address"), e.get("domain"), e.get("reason")) for e in entries}
    assert got >= {("p@y.test", DOMAIN, "via api"), ("cli@y.test", DOMAIN, "from the cli")}, got
    [one] = api_entries(h, domain=DOMAIN, address="p@y.test")
    assert one["address"] == "p@y.test" and is_recent_timestamp(entry_date(one)), one
    # Refused at RCPT at once.
    with submission(h) as s:
        assert s.mail(SENDER)[0] == 250
        assert_refused(s.rcpt("p@y.test"), "p@y.test", "via api")
    status, body = http("DELETE", api_url(h, address="p@y.test", domain=DOMAIN),
                        token=ADMIN_TOKEN)
    assert status == 204, (status, body)
    assert not is_suppressed(h, "p@y.test", DOMAIN)
    status, body = http("DELETE", api_url(h, address="p@y.test", domain=DOMAIN),
                        token=ADMIN_TOKEN)
    assert status == 404, (status, body)
    # A global entry, by the admin.
    status, body = http("POST", api_url(h), token=ADMIN_TOKEN,
                        body={"address": "g@y.test", "domain": "*", "reason": "everywhere"})
    assert status == 201, (status, body)
    assert is_suppressed(h, "g@y.test", OTHER)


def test_bad_input_to_the_http_api_is_a_4xx(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    # ASSUMED: 400 (as the sending API's invalid_address) or 422.
    for body in ({"address": "not an address", "domain": DOMAIN},
                 {"domain": DOMAIN, "reason": "no address"},
                 {"address": "q@y.test", "domain": "not a domain!"}):
        status, answer = http("POST", api_url(h), token=ADMIN_TOKEN, body=body)
        assert status in (400, 422), (body, status, answer)
    status, answer = http("POST", api_url(h), token=ADMIN_TOKEN, raw=b'{"address": ',)
    assert status == 400, (status, answer)
    assert suppress_ok(h, "export").strip() in ("", "address,domain,reason,created")


def test_an_api_key_manages_only_its_own_sender_domains(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", "theirs@y.test", "--domain", OTHER, "--reason", "theirs")
    status, body = http("POST", api_url(h), token=API_TOKEN,
                        body={"address": "k@y.test", "domain": DOMAIN, "reason": "by key"})
    assert status == 201, (status, body)
    assert is_suppressed(h, "k@y.test", DOMAIN)
    assert "k@y.test" in {e.get("address") for e in api_entries(h, API_TOKEN, domain=DOMAIN)}
    # Another domain's list: neither read, nor written, nor cleared.
    status, body = http("POST", api_url(h), token=API_TOKEN,
                        body={"address": "k@y.test", "domain": OTHER, "reason": "by key"})
    assert status == 403, (status, body)
    status, body = http("GET", api_url(h, domain=OTHER), token=API_TOKEN)
    assert status == 403, (status, body)
    status, body = http("DELETE", api_url(h, address="theirs@y.test", domain=OTHER),
                        token=API_TOKEN)
    assert status == 403, (status, body)
    assert is_suppressed(h, "theirs@y.test", OTHER)
    assert not is_suppressed(h, "k@y.test", OTHER)
    # ASSUMED: the global list belongs to no key's sender domains; only the admin edits it.
    status, body = http("POST", api_url(h), token=API_TOKEN,
                        body={"address": "k2@y.test", "domain": "*", "reason": "by key"})
    assert status == 403, (status, body)
    assert not is_suppressed(h, "k2@y.test", OTHER)
    # The key may remove its own.
    status, body = http("DELETE", api_url(h, address="k@y.test", domain=DOMAIN), token=API_TOKEN)
    assert status == 204, (status, body)


def test_the_http_api_needs_a_credential(make_herald, smtp_receiver):
    h, _ = start(make_herald, smtp_receiver)
    suppress_ok(h, "add", GONE, "--domain", DOMAIN, "--reason", "asked")
    for token in (None, secrets.token_hex(32)):
        status, _ = http("GET", api_url(h, domain=DOMAIN), token=token)
        assert status == 401, status
        status, _ = http("POST", api_url(h), token=token,
                         body={"address": "n@y.test", "domain": DOMAIN, "reason": "x"})
        assert status == 401, status
        status, _ = http("DELETE", api_url(h, address=GONE, domain=DOMAIN), token=token)
        assert status == 401, status
    assert is_suppressed(h, GONE, DOMAIN) and not is_suppressed(h, "n@y.test", DOMAIN)
