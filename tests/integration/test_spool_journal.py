"""The spool's journal (issue 23, docs/spool.md "The journal"): messages arriving at once on
many sessions share flushes; what a crash leaves in the journal is replayed at the next
start, bringing back a queue file the crash lost; `herald queue` acting on a crashed
server's spool settles the journal first, so the replay cannot undo it; a clean stop leaves
no journal. The first checkpoint is held back by the LD_PRELOAD shim (fault_shim.c), so that
a record is still only in the journal when Herald is killed: a state, not a race."""
import threading

from event_support import metric_sum, scrape
from fault_injection import fault_shim  # noqa: F401
from herald_fixture import free_port, message, stuck_queue_config, transaction

SESSIONS, EACH = 10, 20
# The segment a fresh spool's first checkpoint starts: holding its creation holds the
# checkpoint, and every record stays in segment ...0001.
SECOND_SEGMENT = "0000000000000002"


def segments(h):
    return sorted(p.name for p in (h.spool_dir / "journal").iterdir())


def test_messages_arriving_at_once_share_flushes(make_herald):
    admin_port = free_port()
    h = make_herald(transport=[{"name": "discard", "type": "null"}],
                    route=[{"sender": "*", "transport": "discard"}],
                    admin={"http": f"127.0.0.1:{admin_port}"})
    failures = []

    def session(n):
        try:
            with h.smtp() as s:
                for i in range(EACH):
                    s.sendmail(f"s{n}@client.herald.test", ["someone@example.net"],
                               message(subject=f"{n}-{i}"))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)
    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    h.wait_for(lambda: not h.queue_ids(), what="every message delivered")
    # Each message is stored and marked delivered: two records, which the sessions and
    # deliveries running at the same time share flushes for.
    records = 2 * SESSIONS * EACH
    flushes = metric_sum(scrape(admin_port, token=h.admin_token()),
                         "herald_spool_journal_flushes_total")
    assert 0 < flushes < records, (flushes, records)
    h.stop()
    assert segments(h) == [], "a clean stop leaves no journal"


def crashed_with_one_message_in_the_journal(make_herald, fault_shim, tmp_path):
    """A Herald killed after its 250 for one message, whose record no checkpoint took out
    of the journal yet: (h, id)."""
    h = make_herald(start=False, **stuck_queue_config())
    h.start(env=fault_shim.pause_open(SECOND_SEGMENT, tmp_path / "never"))
    with h.smtp() as s:
        s.ehlo()
        msg_id = transaction(s, "a@client.herald.test", ["someone@example.net"],
                             message(subject="only in the journal"))
    h.kill9()
    assert segments(h) == ["0000000000000001"]
    return h, msg_id


def test_a_queue_file_the_crash_lost_comes_back_from_the_journal(make_herald, fault_shim,
                                                                 tmp_path):
    h, msg_id = crashed_with_one_message_in_the_journal(make_herald, fault_shim, tmp_path)
    # A power cut: the file's data never reached the disk, only the journal's flush did. (No
    # checkpoint ran, so the file was written only if the message's delivery attempt ended.)
    for queue_file in h.spool_dir.glob(f"queue/*/{msg_id}"):
        queue_file.unlink()
    h.start()
    assert "spool journal: 1 records replayed from 1 segments, 1 files written again" in \
        h.stdout(), h.stdout()
    assert h.queue_ids() == {msg_id}
    shown = h.cli("queue", "show", msg_id)
    assert shown.returncode == 0 and b"only in the journal" in shown.stdout, shown


def test_herald_queue_settles_a_crashed_servers_journal_before_it_deletes(
        make_herald, fault_shim, tmp_path):
    h, msg_id = crashed_with_one_message_in_the_journal(make_herald, fault_shim, tmp_path)
    deleted = h.cli("queue", "delete", msg_id)
    assert deleted.returncode == 0, deleted
    assert segments(h) == [], "replayed, made durable and emptied before the delete"
    h.start()
    assert h.queue_ids() == set(), "the replay at start-up did not bring it back"
