"""herald queue list|show|flush|delete|hold|release|bounce against a running server whose
only transport defers everything, so messages stay queued."""
import json
import re

import pytest

from herald_fixture import message, queued_id, stuck_queue_config


def enqueue(h, n):
    ids = {}
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for i in range(n):
            sender = f"q{i}@client.herald.test"
            s.mail(sender)
            s.rcpt(f"to{i}a@example.net")
            s.rcpt(f"to{i}b@example.net")
            code, text = s.data(message(sender=sender, subject=f"queued {i}"))
            assert code == 250
            ids[queued_id(text)] = sender
    for msg_id in ids:  # the first attempt was made and deferred
        h.wait_for(lambda: h.events(msg_id, "=="), what=f"{msg_id} deferred")
    return ids


@pytest.fixture
def queued(make_herald):
    h = make_herald(**stuck_queue_config())
    return h, enqueue(h, 3)


def entries(h):
    return {e["id"]: e for e in h.queue_list_json()}


def test_list_shows_every_message(queued):
    h, ids = queued
    result = h.cli("queue", "list")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    for msg_id, sender in ids.items():
        [line] = [l for l in out.splitlines() if msg_id in l]
        assert sender in line, line
    listed = entries(h)
    assert set(listed) == set(ids)
    for msg_id, e in listed.items():
        assert e["sender"] == ids[msg_id]
        assert e["held"] is False
        recipients = json.dumps(e["recipients"])
        assert "a@example.net" in recipients and "b@example.net" in recipients, e


def test_show_prints_the_envelope(queued):
    h, ids = queued
    msg_id, sender = next(iter(ids.items()))
    result = h.cli("queue", "show", msg_id)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert msg_id in out and sender in out
    assert "example.net" in out


def test_hold_and_release(queued):
    h, ids = queued
    msg_id = next(iter(ids))
    assert h.cli("queue", "hold", msg_id).returncode == 0
    assert entries(h)[msg_id]["held"] is True
    # A held message is not tried by a flush.
    attempts = {i: len(h.events(i, "==")) for i in ids}
    assert h.cli("queue", "flush").returncode == 0
    for other in ids:
        if other != msg_id:
            h.wait_for(lambda: len(h.events(other, "==")) > attempts[other],
                       what=f"{other} retried by flush")
    assert len(h.events(msg_id, "==")) == attempts[msg_id], "a held message was attempted"
    assert h.cli("queue", "release", msg_id).returncode == 0
    assert entries(h)[msg_id]["held"] is False
    # What changes nothing says so and exits 1, rather than "ok".
    again = h.cli("queue", "release", msg_id)
    assert again.returncode == 1 and b"is not held" in again.stderr, again
    assert h.cli("queue", "hold", msg_id).returncode == 0
    again = h.cli("queue", "hold", msg_id)
    assert again.returncode == 1 and b"is held already" in again.stderr, again


def test_flush_one_retries_it_now(queued):
    h, ids = queued
    msg_id = next(iter(ids))
    before = len(h.events(msg_id, "=="))
    result = h.cli("queue", "flush", msg_id)
    assert result.returncode == 0, result.stderr
    h.wait_for(lambda: len(h.events(msg_id, "==")) > before, what="another attempt")
    assert msg_id in entries(h)  # still deferred, still queued


def test_delete_removes_it(queued):
    h, ids = queued
    msg_id = next(iter(ids))
    result = h.cli("queue", "delete", msg_id)
    assert result.returncode == 0, result.stderr
    h.wait_for(lambda: msg_id not in entries(h), what=f"{msg_id} gone")
    assert set(entries(h)) == set(ids) - {msg_id}
    assert h.cli("queue", "show", msg_id).returncode in (1, 2)


def test_bounce_fails_it(queued):
    h, ids = queued
    msg_id = next(iter(ids))
    result = h.cli("queue", "bounce", msg_id)
    assert result.returncode == 0, result.stderr
    h.wait_for(lambda: msg_id not in entries(h), what=f"{msg_id} gone")
    h.wait_for(lambda: h.events(msg_id, "**"), what=f"{msg_id} ** in mainlog")
    # The others are untouched; a DSN to the sender may now be queued as well.
    assert set(ids) - {msg_id} <= set(entries(h))


def test_queue_survives_a_clean_restart(queued):
    h, ids = queued
    h.cli("queue", "hold", next(iter(ids)))
    assert h.stop() == 0, "SIGTERM must stop herald with exit 0"
    h.start()
    listed = entries(h)
    assert set(listed) == set(ids)
    assert listed[next(iter(ids))]["held"] is True


@pytest.mark.parametrize("verb", ["show", "delete", "hold", "release", "bounce", "flush"])
def test_unknown_id_is_a_clear_error(queued, verb):
    h, _ = queued
    result = h.cli("queue", verb, "NoSuchId0000")
    assert result.returncode in (1, 2), (result.returncode, result.stdout, result.stderr)
    err = result.stderr.decode().strip()
    assert err and len(err.splitlines()) == 1, err
    assert "NoSuchId0000" in err or re.search(r"no such|unknown|not found", err, re.I), err


@pytest.mark.parametrize("args", [
    ["queue"], ["queue", "frobnicate"], ["queue", "show"], ["queue", "delete"],
    ["queue", "list", "--bogus"], ["queue", "hold", "a", "b"],
    ["queue", "show", "../../etc/passwd"], ["queue", "delete", "x/y"],
])
def test_bad_arguments_exit_2(make_herald, args):
    h = make_herald(start=False)
    result = h.cli(*args)
    assert result.returncode == 2, (args, result.returncode, result.stdout, result.stderr)
    err = result.stderr.decode().strip()
    assert err and len(err.splitlines()) == 1, err


def test_list_line_shows_pending_recipients_and_last_error(queued):
    h, ids = queued
    out = h.cli("queue", "list").stdout.decode()
    msg_id = next(iter(ids))
    [line] = [l for l in out.splitlines() if msg_id in l]
    assert "a@example.net" in line and "b@example.net" in line, line
    # The deferral reason from the stuck transport (it cannot create /dev/null/...).
    assert "/dev/null" in line or "directory" in line.lower(), line


def test_hold_and_delete_work_while_the_server_is_stopped(queued):
    h, ids = queued
    first, second = list(ids)[:2]
    assert h.stop() == 0
    assert h.cli("queue", "hold", first).returncode == 0
    assert h.cli("queue", "delete", second).returncode == 0
    listed = entries(h)
    assert second not in listed
    assert listed[first]["held"] is True
    h.start()
    listed = entries(h)
    assert second not in listed and listed[first]["held"] is True
