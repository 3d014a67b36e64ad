"""Delivery events (docs/events.md, issue 18): the JSON-lines file sink beside the mainlog, and
webhooks with their durable outbox, against a real DNS server (unbound), aiosmtpd receivers
with scripted replies and a real HTTP webhook receiver (webhook_receiver.py) that fails,
delays, answers garbage, goes down and comes back.

The file sink and the webhook are fed by the same call, so the file sink is the list of every
event Herald made: the webhook must deliver each of them at least once, in order per message.
"""
import email.policy
import json
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timezone
from email.parser import BytesParser

import pytest
from prometheus_client.parser import text_string_to_metric_families

from herald_fixture import (delivery_config, free_port, message, queued_id, send,
                            stuck_queue_config, transaction)
from receivers import free_port_on
from webhook_receiver import sign, verify_signature, webhook_receiver  # noqa: F401

MX, SENDER_MX = "127.0.0.2", "127.0.0.3"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    # The senders' domain: DSNs go to its MX.
    "sender.test. MX 10 mx.sender.test.",
    "mx.sender.test. A 127.0.0.3",
]
SENDER = "alice@sender.test"
SECRET = "webhook-secret-0123456789abcdef"
TOKEN = "events-admin-token-0123456789"
ID_ALPHABET = set("0123456789abcdefghjkmnpqrstvwxyz")
TIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CATEGORIES = {"invalid-recipient", "bad-domain", "inactive-mailbox", "mailbox-full",
              "message-too-large", "policy-related", "spam-related", "virus-related",
              "content-related", "routing-errors", "protocol-errors", "relaying-denied",
              "transient-failure", "message-expired", "other"}
TYPES = {"received", "delivered", "deferred", "bounced", "expired", "complaint", "unsubscribed",
         "suppressed", "admin"}
FINAL = {"delivered", "bounced", "expired"}
FILE_SINK = {"type": "file"}


# -- reading events ------------------------------------------------------------------------------

def read_jsonl(path):
    """The JSON objects of a JSON-lines file, in order; a last line still being written (no
    newline yet) is left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    out = []
    for n, line in enumerate(lines[:-1], 1):  # lines[-1] is "" or a line not ended yet
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{path}:{n} is not JSON: {line!r}")
    return out


def file_events(h, name="events"):
    """The events of <log_dir>/<name> (the default file sink is <log_dir>/events)."""
    return read_jsonl(h.log_dir / name)


def select(events, queue_id=None, type=None, recipient=None):
    return [e for e in events
            if (queue_id is None or e.get("queue_id") == queue_id)
            and (type is None or e.get("type") == type)
            and (recipient is None or e.get("recipient") == recipient)]


def wait_events(h, predicate, name="events", timeout=30.0, what="events in the file sink"):
    """Polls predicate(file_events(h, name)); returns its value."""
    return h.wait_for(lambda: predicate(file_events(h, name)), timeout=timeout, what=what)


def first_occurrences(events):
    """The events with duplicates (same id) left out, in the order of their first arrival."""
    seen, out = set(), []
    for e in events:
        if e["id"] not in seen:
            seen.add(e["id"])
            out.append(e)
    return out


def assert_order_per_message(arrived, reference):
    """For every queue id, the events that arrived (first occurrences) are in the order of
    the reference (the file sink: the order in which they were made)."""
    arrived = first_occurrences(arrived)
    arrived_ids = {e["id"] for e in arrived}
    by_message = defaultdict(list)
    for e in arrived:
        by_message[e["queue_id"]].append(e["id"])
    for queue_id, ids in by_message.items():
        made = [e["id"] for e in reference if e.get("queue_id") == queue_id
                and e["id"] in arrived_ids]
        assert ids == made, f"events of {queue_id} out of order: {ids} != {made}"


def assert_lifecycle(events):
    """Per (queue id, recipient): received, then any deferrals, then at most one final event
    (admin events may come between)."""
    by_rcpt = defaultdict(list)
    for e in events:
        if e["type"] != "admin":
            by_rcpt[(e["queue_id"], e["recipient"])].append(e["type"])
    for key, types in by_rcpt.items():
        text = " ".join(types)
        assert re.fullmatch(r"received( deferred)*( (delivered|bounced|expired))?", text), \
            f"{key}: {text}"


def assert_event_basics(e):
    """The fields every event has (docs/events.md), well formed."""
    assert e["type"] in TYPES, e
    assert isinstance(e["id"], str) and len(e["id"]) == 20 and set(e["id"]) <= ID_ALPHABET, e
    assert TIME_FORMAT.match(e["time"]), e
    assert isinstance(e["recipient"], str) and e["recipient"], e
    assert isinstance(e["queue_id"], str) and e["queue_id"], e


def event_time(e):
    return datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# -- Herald set-ups --------------------------------------------------------------------------------

def admin_section():
    return {"http": f"127.0.0.1:{free_port()}", "token": TOKEN}


def webhook_sink(url, name="app", **keys):
    """A webhook sink that is quick to send and to give up (tests run in seconds)."""
    return {"name": name, "type": "webhook", "url": url, "secret": SECRET,
            "batch_size": 10, "batch_wait": "1s", "timeout": "2s", **keys}


def with_mx(make_herald, dns_zone, smtp_receiver, replies=None, sinks=(FILE_SINK,),
            retry=("1s",), **options):
    """(herald, one.test's MX, sender.test's MX): delivery over MX to aiosmtpd receivers with
    replies scripted per recipient, and the event sinks `sinks`."""
    port = free_port_on([MX, SENDER_MX])
    mx = smtp_receiver(MX, port, replies=replies)
    senders_mx = smtp_receiver(SENDER_MX, port)
    h = make_herald(**delivery_config(dns_zone(ZONE), port, retry=retry,
                                      event_sink=list(sinks), **options))
    return h, mx, senders_mx


def discarding(sinks, **sections):
    """Every message delivered at once by the null transport; the event sinks `sinks`."""
    return dict(transport=[{"name": "discard", "type": "null"}],
                route=[{"sender": "*", "transport": "discard"}],
                event_sink=list(sinks), **sections)


def send_many(h, n, recipients=lambda i: [f"r{i}@example.net"], sender=SENDER, per_session=50):
    """n messages over a few SMTP sessions; returns their queue ids."""
    ids = []
    while len(ids) < n:
        with h.smtp() as s:
            s.ehlo("client.herald.test")
            for _ in range(min(per_session, n - len(ids))):
                i = len(ids)
                rcpts = recipients(i)
                data = message(sender=sender, to=rcpts[0], subject=f"event test {i}")
                ids.append(transaction(s, sender, rcpts, data))
    return ids


def completed_ids(h):
    return set(re.findall(r"^\S+ (\S+) Completed\b", h.mainlog(), re.M))


def wait_completed(h, ids, timeout=60.0):
    ids = set(ids)
    h.wait_for(lambda: ids <= completed_ids(h), timeout=timeout,
               what=f"{len(ids)} messages Completed")


def message_id_of(data):
    return re.search(r"^Message-ID: (\S+)", data, re.M).group(1)


def failure_lines(h, sink="app"):
    return [l for l in h.mainlog().splitlines() if f"event sink {sink}: " in l]


# -- metrics -------------------------------------------------------------------------------------

def scrape(h):
    """{(sample name, frozenset of labels): value} from the admin server's /metrics."""
    port = int(h.config["admin"]["http"].rsplit(":", 1)[1])
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def metric(h, name, **labels):
    """A sample's value; None when /metrics has no such sample."""
    return scrape(h).get((name, frozenset(labels.items())))


# -- the file sink -------------------------------------------------------------------------------

def test_file_sink_has_received_and_delivered_events_with_every_documented_field(
        make_herald, dns_zone, smtp_receiver):
    h, mx, _ = with_mx(make_herald, dns_zone, smtp_receiver)
    before = datetime.now(timezone.utc)
    data = message(sender=SENDER, to="bob@one.test")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, _ = s.mail(SENDER)
        assert code == 250
        for rcpt in ("bob@one.test", "carol@one.test"):
            assert s.rcpt(rcpt)[0] == 250
        code, reply = s.data(data)
        assert code == 250, reply
    queue_id = queued_id(reply)
    h.wait_for(lambda: h.completed(queue_id), what="Completed")
    events = wait_events(h, lambda ev: len(select(ev, queue_id, "delivered")) == 2 and ev)
    after = datetime.now(timezone.utc)

    mine = select(events, queue_id)
    assert Counter(e["type"] for e in mine) == {"received": 2, "delivered": 2}, mine
    assert {e["recipient"] for e in select(mine, type="received")} == \
        {"bob@one.test", "carol@one.test"}
    assert {e["recipient"] for e in select(mine, type="delivered")} == \
        {"bob@one.test", "carol@one.test"}
    for e in mine:
        assert_event_basics(e)
        assert e["queue_id"] == queue_id, e
        assert e["message_id"] == message_id_of(data), e
        assert e["message_id"].startswith("<") and e["message_id"].endswith(">"), e
        assert e["sender"] == SENDER, e
        assert "user" not in e, f"relayed without AUTH: no user to tell: {e}"
        # UTC, not local time: made between the test's two readings of the clock.
        assert (before - event_time(e)).total_seconds() < 60, e
        assert (event_time(e) - after).total_seconds() < 60, e
    for e in select(mine, type="delivered"):
        assert e["transport"] == "mx", e
        assert e["remote_host"].startswith("mx.one.test [127.0.0.2]"), e
        assert e["attempt"] == 1, e
        assert e["reply"].startswith("250"), e
        assert "category" not in e and not e.get("async"), e
    assert len({e["id"] for e in events}) == len(events), "event ids are not unique"
    # Sortable by time: the events of one message, made one after the other.
    ids = [e["id"] for e in mine]
    assert ids == sorted(ids), ids
    assert all(r["id"] < d["id"] for r in select(mine, type="received")
               for d in select(mine, type="delivered")), mine
    assert_lifecycle(mine)
    assert len(mx.delivered_to("bob@one.test")) == 1


def test_types_filter_keeps_only_the_chosen_types(make_herald):
    h = make_herald(**discarding([FILE_SINK, {"name": "deliveries", "type": "file",
                                              "path": "var/log/deliveries.jsonl",
                                              "types": ["delivered"]}]))
    ids = send_many(h, 2, recipients=lambda i: [f"a{i}@example.net", f"b{i}@example.net"])
    wait_completed(h, ids)
    everything = wait_events(h, lambda ev: len(select(ev, type="delivered")) == 4 and ev)
    filtered = wait_events(h, lambda ev: len(ev) >= 4 and ev, name="deliveries.jsonl",
                           what="4 events in the filtered sink")
    assert select(everything, type="received"), "nothing for the filter to leave out"
    assert {e["type"] for e in filtered} == {"delivered"}, filtered
    assert [e["id"] for e in filtered] == [e["id"] for e in select(everything, type="delivered")]
    assert filtered == select(everything, type="delivered")


@pytest.mark.parametrize("how", ["logrotate", "sigusr1"])
def test_event_file_is_rotated_with_the_mainlog(make_herald, how):
    h = make_herald(**discarding([FILE_SINK]))
    [first] = send_many(h, 1)
    wait_events(h, lambda ev: select(ev, first, "delivered"))
    if how == "logrotate":
        result = h.cli("logrotate")
        assert result.returncode == 0, result.stderr
    else:
        h.proc.send_signal(signal.SIGUSR1)
    h.wait_for(lambda: first in (h.log_dir / "mainlog.1").read_text()
               if (h.log_dir / "mainlog.1").exists() else False, what="the mainlog rotated")
    h.wait_for(lambda: (h.log_dir / "events.1").exists(), what="events.1 beside mainlog.1")
    [second] = send_many(h, 1)
    new = wait_events(h, lambda ev: select(ev, second, "delivered") and ev,
                      what="the second message's events in the new file")
    old = file_events(h, "events.1")
    assert {e["type"] for e in select(old, first)} == {"received", "delivered"}, old
    assert not select(old, second), "an event written after the rotation went to events.1"
    assert not select(new, first), "an event written before the rotation is in the new file"
    assert {e["type"] for e in select(new, second)} == {"received", "delivered"}, new


# -- bounces and deferrals -------------------------------------------------------------------------

def test_a_550_5_1_1_is_a_bounced_event_of_category_invalid_recipient_in_log_event_and_dsn(
        make_herald, dns_zone, smtp_receiver):
    h, mx, senders_mx = with_mx(make_herald, dns_zone, smtp_receiver,
                                replies={"bob@one.test": [550]}, admin=admin_section())
    queue_id = send(h, SENDER, ["bob@one.test", "carol@one.test"])
    h.wait_for(lambda: h.completed(queue_id), what="Completed")
    events = wait_events(h, lambda ev: select(ev, queue_id, "bounced") and ev)

    [bounced] = select(events, queue_id, "bounced")
    assert_event_basics(bounced)
    assert bounced["recipient"] == "bob@one.test", bounced
    assert bounced["category"] == "invalid-recipient", bounced
    assert bounced["reply"].startswith("550") and "5.1.1" in bounced["reply"], bounced
    assert bounced["attempt"] == 1 and bounced["transport"] == "mx", bounced
    assert bounced["remote_host"].startswith("mx.one.test [127.0.0.2]"), bounced
    assert bounced["sender"] == SENDER and not bounced.get("async"), bounced
    [delivered] = select(events, queue_id, "delivered")
    assert delivered["recipient"] == "carol@one.test", delivered
    assert_lifecycle(select(events, queue_id))

    [failed] = h.events(queue_id, "**")
    assert "bob@one.test" in failed and "category=invalid-recipient" in failed, failed

    [dsn] = h.wait_for(lambda: senders_mx.messages(), what="the DSN at sender.test")
    report = BytesParser(policy=email.policy.default).parsebytes(dsn.data)
    [status] = [p for p in report.iter_parts()
                if p.get_content_type() == "message/delivery-status"]
    [block] = status.get_payload()[1:]
    assert "bob@one.test" in block["Final-Recipient"]
    assert (block["X-Herald-Bounce-Category"] or "").strip() == "invalid-recipient", \
        dsn.data.decode(errors="replace")
    assert h.wait_for(lambda: metric(h, "herald_bounces_by_category_total",
                                     category="invalid-recipient", kind="sync") == 1,
                      what="herald_bounces_by_category_total")


def test_a_451_is_a_deferred_event_with_a_category_and_attempts_rising(
        make_herald, dns_zone, smtp_receiver):
    h, mx, _ = with_mx(make_herald, dns_zone, smtp_receiver,
                       replies={"bob@one.test": [451, 451, 250]})
    queue_id = send(h, SENDER, ["bob@one.test"])
    h.wait_for(lambda: h.completed(queue_id), what="Completed after two retries")
    events = wait_events(h, lambda ev: select(ev, queue_id, "delivered") and ev)
    mine = select(events, queue_id)
    assert [e["type"] for e in mine] == ["received", "deferred", "deferred", "delivered"], mine
    assert [e["attempt"] for e in mine[1:]] == [1, 2, 3], mine
    for e in mine[1:3]:
        assert_event_basics(e)
        assert e["category"] in CATEGORIES and e["category"] != "message-expired", e
        assert e["reply"].startswith("451") and "4.3.0" in e["reply"], e
        assert e["transport"] == "mx" and e["remote_host"].startswith("mx.one.test [127.0.0.2]"), e
        assert not e.get("async"), e
    assert mx.rcpt_attempts("bob@one.test") == [451, 451, 250]


def test_an_expired_message_is_an_expired_event_of_category_message_expired(
        make_herald, dns_zone, smtp_receiver):
    h, mx, _ = with_mx(make_herald, dns_zone, smtp_receiver,
                       replies={"bob@one.test": [451]}, max_age="3s")
    queue_id = send(h, SENDER, ["bob@one.test"])
    h.wait_for(lambda: h.completed(queue_id), timeout=60, what="Completed after expiry")
    events = wait_events(h, lambda ev: select(ev, queue_id, "expired") and ev)
    [expired] = select(events, queue_id, "expired")
    assert_event_basics(expired)
    assert expired["recipient"] == "bob@one.test" and expired["sender"] == SENDER, expired
    assert expired["category"] == "message-expired", expired
    assert expired.get("reply"), expired
    assert select(events, queue_id, "deferred"), "it was deferred before it expired"
    assert_lifecycle(select(events, queue_id))


# -- administrator actions -----------------------------------------------------------------------

def test_queue_hold_release_delete_and_bounce_are_admin_events(make_herald):
    h = make_herald(event_sink=[FILE_SINK], **stuck_queue_config())
    first, second = send_many(h, 2, recipients=lambda i: [f"to{i}@example.net"])
    for queue_id in (first, second):
        h.wait_for(lambda: h.events(queue_id, "=="), what=f"{queue_id} deferred")
    for verb, queue_id in [("hold", first), ("release", first), ("delete", first),
                           ("bounce", second)]:
        result = h.cli("queue", verb, queue_id)
        assert result.returncode == 0, (verb, result.stderr)
    events = wait_events(h, lambda ev: len(select(ev, type="admin")) >= 4 and ev,
                         what="4 admin events")
    actions = [(e["queue_id"], e["action"]) for e in select(events, type="admin")]
    assert actions == [(first, "hold"), (first, "release"), (first, "delete"),
                       (second, "bounce")], actions
    for e in select(events, type="admin"):
        assert_event_basics(e)
        expected = "to0@example.net" if e["queue_id"] == first else "to1@example.net"
        assert e["recipient"] == expected, e
        assert e["sender"] == SENDER, e


# -- webhooks ------------------------------------------------------------------------------------

def test_webhook_events_are_signed_batched_and_in_order_per_message(
        make_herald, dns_zone, smtp_receiver, webhook_receiver):
    hook = webhook_receiver(SECRET)
    h, mx, senders_mx = with_mx(
        make_herald, dns_zone, smtp_receiver,
        replies={"bob@one.test": [451, 250], "carol@one.test": [550]},
        sinks=[FILE_SINK, webhook_sink(hook.url, batch_size=3)])
    queue_id = send(h, SENDER, ["bob@one.test", "carol@one.test", "dave@one.test"])
    h.wait_for(lambda: h.completed(queue_id), what="Completed")
    h.wait_for(lambda: senders_mx.messages(), what="the DSN for carol")
    dsn_id = h.wait_for(lambda: [i for i in re.findall(r"^\S+ (\S+) <= ", h.mainlog(), re.M)
                                 if i != queue_id], what="the DSN queued")[0]
    h.wait_for(lambda: h.completed(dsn_id), what="the DSN Completed")
    made = wait_events(h, lambda ev: select(ev, dsn_id, "delivered") and ev)
    assert Counter(e["type"] for e in select(made, queue_id)) == \
        {"received": 3, "deferred": 1, "delivered": 2, "bounced": 1}, made

    hook.wait_for_events(lambda ev: {e["id"] for e in made} <= {e["id"] for e in ev},
                         alive=h.assert_alive, what="every event of the file sink")
    requests = hook.all_requests()
    for r in requests:
        assert r.method == "POST" and r.path == "/hooks/herald", r
        assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
        assert r.json is not None and set(r.json) == {"events"}, r.body[:200]
        assert 1 <= len(r.events()) <= 3, f"batch_size 3, got {len(r.events())}"
        assert r.signature_ok, f"signature {r.signature!r} does not verify"
        assert not r.verifies_with("another secret, not the one configured"), r.signature
        stamp = int(r.signature.split(",")[0].split("=")[1])
        assert abs(stamp - r.t) < 300, f"t={stamp} is not the time of sending ({r.t})"
        # The signature covers the body as sent: one byte changed and it fails.
        assert not verify_signature(r.signature, r.body + b" ", SECRET)
    arrived = hook.events()
    assert all(r.acked for r in requests), "every request was answered 200"
    assert len(arrived) == len(made), "a batch acknowledged with 200 came again"
    by_id = {e["id"]: e for e in made}
    for e in arrived:
        assert e == by_id[e["id"]], f"the webhook's event differs from the file's: {e}"
    assert_order_per_message(arrived, made)
    assert_lifecycle(arrived)


def test_webhook_batches_hold_at_most_batch_size_events_and_fill_up_after_an_outage(
        make_herald, webhook_receiver):
    hook = webhook_receiver(SECRET, start=False)  # the application is down
    h = make_herald(**discarding([FILE_SINK, webhook_sink(hook.url, batch_size=3)]))
    ids = send_many(h, 5, recipients=lambda i: [f"a{i}@example.net", f"b{i}@example.net"])
    wait_completed(h, ids)
    made = wait_events(h, lambda ev: len(ev) == 20 and ev, what="20 events")
    h.wait_for(lambda: failure_lines(h), what="a failed attempt while the receiver is down")
    hook.start()
    hook.wait_for_events(lambda ev: {e["id"] for e in made} <= {e["id"] for e in ev},
                         alive=h.assert_alive, what="every event after the outage")
    sizes = [len(r.events()) for r in hook.acked_requests()]
    assert max(sizes) == 3 and all(1 <= n <= 3 for n in sizes), sizes
    # 20 events waiting: full batches, not one request per event (one partial batch may
    # have been made before the outage showed, another is the rest at the end).
    assert len(sizes) <= 20 // 3 + 2, sizes
    assert_order_per_message(hook.events(), made)


FAILURES = {
    # mode: (how to script the receiver, what the mainlog line should say)
    "status-500": (lambda hook: hook.fail_next(3, status=500), r"500"),
    "delay": (lambda hook: hook.delay_next(1, 4), r"time"),
    "close": (lambda hook: hook.close_next(2), r"."),
    "garbage-after-a-200-status-line": (lambda hook: hook.garbage_next(2), r"."),
    "not-http": (lambda hook: hook.not_http_next(2), r"."),
}


@pytest.mark.parametrize("mode", list(FAILURES))
def test_a_failing_webhook_is_retried_until_every_event_arrives_and_each_failure_is_counted(
        make_herald, webhook_receiver, mode):
    script, says = FAILURES[mode]
    hook = webhook_receiver(SECRET)
    script(hook)
    h = make_herald(**discarding([FILE_SINK, webhook_sink(hook.url, timeout="1s")],
                                 admin=admin_section()))
    ids = send_many(h, 2, recipients=lambda i: [f"a{i}@example.net", f"b{i}@example.net"])
    wait_completed(h, ids)
    made = wait_events(h, lambda ev: len(ev) == 8 and ev, what="8 events")
    hook.wait_for_events(lambda ev: {e["id"] for e in made} <= {e["id"] for e in ev},
                         alive=h.assert_alive, what="every event despite the failures")
    h.wait_for(lambda: all(r.done for r in hook.all_requests()), what="every request answered")
    assert hook.pending_script() == 0, "Herald gave up before every scripted failure"
    failed = hook.failed_requests()
    assert failed and all(not r.acked for r in failed), hook.all_requests()

    lines = h.wait_for(lambda: len(failure_lines(h)) >= len(failed) and failure_lines(h),
                       what="a mainlog line per failure")
    assert len(lines) == len(failed), (lines, hook.all_requests())
    assert all(re.search(says, l.split("event sink app: ", 1)[1], re.I) for l in lines), lines
    assert h.wait_for(lambda: metric(h, "herald_event_webhook_failures_total",
                                     sink="app") == len(failed),
                      what="herald_event_webhook_failures_total == the failures")
    # Each event acknowledged once: a 2xx is never followed by the same batch again.
    arrived = hook.events()
    assert Counter(e["id"] for e in arrived) == Counter(e["id"] for e in made)
    assert_order_per_message(arrived, made)
    assert h.wait_for(lambda: metric(h, "herald_event_outbox_depth", sink="app") == 0,
                      what="an empty outbox")


def test_a_200_with_a_body_that_is_not_json_acknowledges_the_batch(make_herald,
                                                                    webhook_receiver):
    hook = webhook_receiver(SECRET)
    hook.default = ("non_json",)
    h = make_herald(**discarding([FILE_SINK, webhook_sink(hook.url)], admin=admin_section()))
    [first] = send_many(h, 1)
    hook.wait_for_events(lambda ev: select(ev, first, "delivered"), alive=h.assert_alive)
    # Batches go one at a time, in order: had the first not been acknowledged, it would
    # come again before the second message's events.
    [second] = send_many(h, 1)
    hook.wait_for_events(lambda ev: select(ev, second, "delivered"), alive=h.assert_alive)
    made = file_events(h)
    every_copy = hook.ids(acked_only=False)
    assert sorted(every_copy) == sorted(e["id"] for e in made), hook.all_requests()
    assert all(r.answer == "200-non-json" for r in hook.all_requests())
    assert failure_lines(h) == []
    assert metric(h, "herald_event_webhook_failures_total", sink="app") in (0, None)


@pytest.mark.allow_panic  # kill -9: start-up may note what it recovered
def test_every_event_arrives_across_kill_9_with_a_full_outbox(make_herald, webhook_receiver):
    hook = webhook_receiver(SECRET, start=False)  # down while the mail goes through
    h = make_herald(**discarding([FILE_SINK, webhook_sink(hook.url, batch_size=50)]))
    ids = send_many(h, 200)
    wait_completed(h, ids, timeout=120)
    before_kill = wait_events(h, lambda ev: len(ev) == 400 and ev, what="400 events")
    outbox = h.spool_dir / "outbox" / "app"
    assert outbox.is_dir() and any(p.stat().st_size for p in outbox.rglob("*") if p.is_file())
    h.kill9()  # the outbox holds every one of the 400

    # Up again, and the receiver back but slow: kill -9 again while batches are going out.
    h.start()
    hook.default = ("delay", 0.3)
    hook.start()
    hook.wait_for_events(lambda ev: len(ev) >= 100, alive=h.assert_alive,
                         what="two batches through")
    h.kill9()
    hook.default = ("ok",)
    h.start()

    hook.wait_for_events(lambda ev: {e["id"] for e in before_kill} <= {e["id"] for e in ev},
                         timeout=120, alive=h.assert_alive, what="every event before the kill")
    made = {e["id"]: e for e in file_events(h)}
    arrived = hook.events()
    assert {e["id"] for e in arrived} <= set(made), "an event that was never made arrived"
    for e in arrived:
        assert e == made[e["id"]], f"a copy differs from the event: {e}"
    # A duplicate is a batch sent again after a crash: a few batches at most, not everything.
    duplicated = [i for i, n in Counter(e["id"] for e in arrived).items() if n > 1]
    assert len(duplicated) <= 2 * 50, f"{len(duplicated)} events came more than once"
    assert_order_per_message(arrived, list(made.values()))
    assert all(r.signature_ok for r in hook.all_requests())


@pytest.mark.allow_panic  # the paniclog says how many events went to the dead-letter file
def test_a_full_outbox_moves_the_oldest_events_to_the_dead_letter_file(make_herald,
                                                                       webhook_receiver):
    hook = webhook_receiver(SECRET, start=False)
    h = make_herald(**discarding([FILE_SINK, webhook_sink(hook.url, max_outbox=50)],
                                 admin=admin_section()))
    ids = send_many(h, 50)
    wait_completed(h, ids)
    made = wait_events(h, lambda ev: len(ev) == 100 and ev, what="100 events")
    dead_path = h.spool_dir / "outbox" / "app.dead"

    def dead_and_depth():
        dead = read_jsonl(dead_path)
        depth = metric(h, "herald_event_outbox_depth", sink="app")
        return (dead, depth) if depth is not None and len(dead) + depth == 100 else None

    dead, depth = h.wait_for(dead_and_depth, what="every event either waiting or dead")
    assert depth <= 50, depth
    assert len(dead) >= 50, len(dead)
    assert metric(h, "herald_event_dead_letters_total", sink="app") == len(dead)
    by_id = {e["id"]: e for e in made}
    for e in dead:
        assert e == by_id[e["id"]], f"a dead letter differs from the event: {e}"
    dead_ids = {e["id"] for e in dead}
    # The oldest go: the first events made are dead, the newest still wait.
    assert {e["id"] for e in made[:10]} <= dead_ids, "the oldest events were kept"
    assert not {e["id"] for e in made[-10:]} & dead_ids, "the newest events were dropped"
    # A line (after its time stamp) naming the sink and a count.
    panics = [rest for l in h.paniclog().splitlines() for rest in l.split(" ", 1)[1:]
              if "app" in rest and re.search(r"\b\d+\b", rest)]
    assert panics, f"the paniclog does not say how many went to app.dead:\n{h.paniclog()}"

    hook.start()
    hook.wait_for_events(lambda ev: {e["id"] for e in made} <= dead_ids | {e["id"] for e in ev},
                         timeout=90, alive=h.assert_alive,
                         what="the events not dead delivered")
    assert_order_per_message(hook.events(), made)


# -- configuration errors ------------------------------------------------------------------------

GOOD_HOOK = {"name": "app", "type": "webhook", "url": "http://127.0.0.1:9/hooks",
             "secret": SECRET}
BAD_SINKS = {
    # case: (sinks, the line the error is on (found in the file) or None, a word it says)
    "webhook-without-url": ([{"name": "app", "type": "webhook", "secret": SECRET}], None,
                            "url"),
    "url-not-http": ([{**GOOD_HOOK, "url": "ftp://127.0.0.1/hooks"}],
                     'url = "ftp://127.0.0.1/hooks"', "url"),
    "url-without-scheme": ([{**GOOD_HOOK, "url": "hooks.example.com/herald"}],
                           'url = "hooks.example.com/herald"', "url"),
    "unknown-type": ([{"name": "pigeon", "type": "carrier-pigeon"}],
                     'type = "carrier-pigeon"', "carrier-pigeon"),
    "duplicate-name": ([GOOD_HOOK, {"name": "app", "type": "file"}], None, "app"),
    "unknown-event-type": ([{"type": "file", "types": ["delivered", "opened"]}],
                           'types = ["delivered", "opened"]', "opened"),
}
ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<what>\S.*)$")


def error_lines(stderr):
    """A match of ERROR_LINE (or None) for each line of stderr."""
    return [ERROR_LINE.match(l) for l in stderr.splitlines() if l.strip()]


@pytest.mark.parametrize("case", list(BAD_SINKS))
def test_a_bad_event_sink_is_refused_by_check_config(make_herald, case):
    sinks, offending, word = BAD_SINKS[case]
    h = make_herald(start=False, event_sink=sinks)
    result = h.cli("check-config")
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 2, (result.returncode, result.stdout, err)
    errors = error_lines(err)
    assert errors and all(errors), f"not 'file:line: what' lines: {err!r}"
    named = [m for m in errors if word in m.group("what")]
    assert named, f"no error line names {word!r}: {err!r}"
    text = h.config_path.read_text().splitlines()
    if offending is not None:
        line = text.index(offending) + 1
        assert any(int(m.group("line")) == line for m in named), (line, err)
    if case == "duplicate-name":  # the second `name = "app"` is the one refused
        line = [n for n, l in enumerate(text, 1) if l == 'name = "app"'][1]
        assert any(int(m.group("line")) == line for m in errors), (line, err)
    # And serve refuses it too, before it listens.
    serve = h.cli("serve", "--allow-root", "--foreground", timeout=15)
    refused = error_lines(serve.stderr.decode(errors="replace"))
    assert serve.returncode != 0, serve
    assert any(m and word in m.group("what") for m in refused), serve


# -- the receiver itself -------------------------------------------------------------------------

def test_the_webhook_receiver_fails_as_scripted_and_restarts_on_its_port(webhook_receiver):
    """The failures above are real ones: checked here with Python's own HTTP client."""
    hook = webhook_receiver(SECRET)

    def post(events, secret=SECRET):
        body = json.dumps({"events": events}).encode()
        t = int(time.time())
        request = urllib.request.Request(hook.url, data=body, method="POST", headers={
            "Content-Type": "application/json",
            "X-Herald-Signature": f"t={t},v1={sign(secret, t, body)}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def raw_post(events):
        body = json.dumps({"events": events}).encode()
        with socket.create_connection(("127.0.0.1", hook.port), timeout=10) as s:
            s.sendall(b"POST /hooks/herald HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/json\r\nContent-Length: " + str(len(body)).encode() +
                      b"\r\n\r\n" + body)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
            return reply

    hook.fail_next(1, status=500)
    assert post([{"id": "a"}])[0] == 500
    assert post([{"id": "b"}]) == (200, b'{"ok": true}\n')
    assert post([{"id": "x"}], secret="wrong secret")[0] == 200
    hook.close_next(1)
    assert raw_post([{"id": "c"}]) == b""
    hook.garbage_next(1)
    assert raw_post([{"id": "d"}]).startswith(b"HTTP/1.1 200 OK\r\n\x00")
    hook.not_http_next(1)
    assert raw_post([{"id": "e"}]).startswith(b"220 ")
    hook.default = ("non_json",)
    status, body = post([{"id": "f"}])
    assert status == 200 and not body.startswith(b"{")
    hook.default = ("ok",)
    hook.delay_next(1, 1.5)
    with socket.create_connection(("127.0.0.1", hook.port), timeout=10) as s:
        s.sendall(b"POST /hooks/herald HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        deadline = time.monotonic() + 10
        while len(hook.all_requests()) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
    hook.restart()
    assert post([{"id": "g"}])[0] == 200
    wait_for_done = time.monotonic() + 10
    while not all(r.done for r in hook.all_requests()) and time.monotonic() < wait_for_done:
        time.sleep(0.05)
    answers = [(r.events()[0]["id"] if r.events() else None, r.answer, r.acked, r.signature_ok)
               for r in hook.all_requests()]
    assert answers == [("a", "500", False, True), ("b", "200", True, True),
                       ("x", "200", True, False), ("c", "close", False, False),
                       ("d", "garbage", False, False), ("e", "not_http", False, False),
                       ("f", "200-non-json", True, True), (None, "late", False, False),
                       ("g", "200", True, True)], answers
    assert hook.ids() == ["b", "x", "f", "g"]
    hook.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", hook.port), timeout=5).close()
