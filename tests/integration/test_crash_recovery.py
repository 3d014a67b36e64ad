"""kill -9 in the middle of a burst: after a restart every message that got 250 is still in
the queue, and nothing else is (apart from messages whose 250 was on its way when the
server died: at most one per client)."""
import random
import smtplib
import subprocess
import threading

import pytest

from herald_fixture import (HERALD_BIN, LOCAL_USERS, maildir_count, message, queued_id,
                            stuck_queue_config)

CLIENTS = 4


def burst(h, acked, lock, stop, client):
    n = 0
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", h.port(), timeout=20) as s:
                s.ehlo("burst.herald.test")
                while not stop.is_set():
                    sender = f"c{client}n{n}@burst.herald.test"
                    body = "z" * 70 + "\r\n"
                    size = [1, 50, 1500][n % 3]  # up to ~100 kB
                    s.mail(sender)
                    s.rcpt(f"r{client}@example.net")
                    code, text = s.data(message(sender=sender, body=body * size))
                    n += 1
                    if code == 250:
                        with lock:
                            acked[queued_id(text)] = sender
        except (OSError, smtplib.SMTPException):
            return  # the server is gone


def queued(h):
    return {e["id"]: e for e in h.queue_list_json()}


def burst_then_kill(h, acked, lock, wanted):
    """Clients send until `wanted` messages in all were acknowledged; kill -9 meanwhile."""
    stop = threading.Event()
    threads = [threading.Thread(target=burst, args=(h, acked, lock, stop, i), daemon=True)
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    h.wait_for(lambda: len(acked) >= wanted, timeout=60, what=f"{wanted} acknowledged")
    h.kill9()  # clients are still sending
    stop.set()
    for t in threads:
        t.join(timeout=60)


@pytest.mark.allow_panic  # recovery may note the unfinished writes it removed
def test_kill_9_during_burst_loses_nothing_acknowledged(make_herald):
    h = make_herald(**stuck_queue_config())
    acked, lock = {}, threading.Lock()
    rng = random.Random(5)
    rounds = 3
    for round_ in range(1, rounds + 1):
        burst_then_kill(h, acked, lock, len(acked) + rng.randint(5, 40))
        with lock:
            snapshot = dict(acked)
        h.start()
        entries = queued(h)
        missing = set(snapshot) - set(entries)
        assert not missing, f"round {round_}: acknowledged but lost: {sorted(missing)}"
        extra = set(entries) - set(snapshot)
        assert len(extra) <= CLIENTS * round_, f"queued, never acknowledged: {sorted(extra)}"
        for msg_id, sender in snapshot.items():
            assert entries[msg_id]["sender"] == sender, entries[msg_id]
            assert entries[msg_id]["held"] is False
            assert "example.net" in str(entries[msg_id]["recipients"]), entries[msg_id]
        for msg_id in extra:
            assert entries[msg_id]["sender"].endswith("@burst.herald.test"), entries[msg_id]
    for msg_id in rng.sample(sorted(entries), 5):
        shown = h.cli("queue", "show", msg_id)
        assert shown.returncode == 0, shown.stderr
        assert entries[msg_id]["sender"].encode() in shown.stdout

    # Recovery is repeatable: another kill -9 right after start-up changes nothing.
    h.kill9()
    h.start()
    assert set(queued(h)) == set(entries)

    # And the server takes new mail with fresh ids.
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("after@client.herald.test")
        s.rcpt("x@example.net")
        code, text = s.data(message())
        assert code == 250
        assert queued_id(text) not in entries


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_delivered_recipient_is_not_delivered_again_after_restart(make_herald, how):
    """One recipient delivered (local maildir), one deferred; after a restart and a flush
    the delivered one must not get a second copy."""
    h = make_herald(local={"recipients": LOCAL_USERS, "domains": ["local.herald.test"], "mailbox": "maildir",
                           "path": "var/mail/{user}"}, **stuck_queue_config())
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("alice@client.herald.test")
        s.rcpt("bob@local.herald.test")
        s.rcpt("far@example.net")
        code, text = s.data(message(to="bob@local.herald.test"))
        assert code == 250
        msg_id = queued_id(text)
    h.wait_for(lambda: h.events(msg_id, "=>") and h.events(msg_id, "=="),
               what="bob delivered and far deferred")
    assert maildir_count(h.path("var/mail/bob")) == 1

    h.kill9() if how == "kill9" else h.stop()
    h.start()
    attempts = len(h.events(msg_id, "=="))
    assert h.cli("queue", "flush", msg_id).returncode == 0
    h.wait_for(lambda: len(h.events(msg_id, "==")) > attempts, what="the retry of far")
    assert maildir_count(h.path("var/mail/bob")) == 1, "bob got a second copy"
    assert len(h.events(msg_id, "=>")) == 1, h.events(msg_id)
    [entry] = [e for e in h.queue_list_json() if e["id"] == msg_id]
    assert "far@example.net" in str(entry["recipients"])


def test_a_second_server_on_the_same_spool_stops_at_start_up(make_herald):
    """Both would recover and deliver the same queue: the second must not start (issue 23)."""
    h = make_herald(**stuck_queue_config())
    with smtplib.SMTP("127.0.0.1", h.port(), timeout=20) as s:
        s.ehlo("client.herald.test")
        s.mail("alice@client.herald.test")
        s.rcpt("bob@example.net")
        code, text = s.data(message(to="bob@example.net"))
        assert code == 250, text
    second = subprocess.run(
        [HERALD_BIN, "serve", "--allow-root", "--foreground", "--config", str(h.config_path)],
        cwd=h.dir, capture_output=True, timeout=60)
    assert second.returncode != 0
    assert second.stderr.startswith(b"herald: spool: "), second.stderr
    assert b" is in use by another herald serve" in second.stderr, second.stderr
    # The first goes on, its queue untouched by the second.
    assert [m["id"] for m in h.queue_list_json()] == [queued_id(text)]
    assert h.stop() == 0
    h.start()
    assert [m["id"] for m in h.queue_list_json()] == [queued_id(text)]
