"""Start-up serves at once, whatever the queue (issue 23): the queue found in the spool is
read in the background, oldest first, while Herald already takes and delivers new mail, and
/metrics shows how far it got. The oldest queue file's open is held by an LD_PRELOAD shim
(fault_shim.c) until the test lets it go, so "still loading" is a state, not a race."""
import sys
from pathlib import Path

from event_support import metric_sum, scrape
from fault_injection import fault_shim  # noqa: F401
from herald_fixture import REPO, free_port, message, stuck_queue_config

sys.path.insert(0, str(REPO / "bench"))
from queue_clone import clone_queue  # noqa: E402

COPIES = 1500  # two of the loader's ranges of 1,024 ids


def queue_loading(h):
    samples = scrape(h.admin_port, token=h.admin_token())
    return {name: metric_sum(samples, f"herald_queue_{name}")
            for name in ("loading", "load_found_messages", "load_loaded_messages")}


def long_queue(make_herald, receiver):
    """A stopped Herald with 1 + COPIES messages queued, all due, and its transport now
    pointing at `receiver`; the id of the oldest."""
    admin_port = free_port()
    h = make_herald(admin={"http": f"127.0.0.1:{admin_port}"}, **stuck_queue_config())
    h.admin_port = admin_port
    with h.smtp() as s:
        s.sendmail("old@client.herald.test", ["someone@example.net"],
                   message(subject="queued before the restart"))
    h.wait_for(lambda: len(h.queue_ids()) == 1 and list(h.spool_dir.glob("schedule/*/*")),
               what="the first attempt deferred")
    (oldest,) = h.queue_ids()
    h.stop()
    clone_queue(h.spool_dir, COPIES, schedules=False)
    (h.spool_dir / "schedule" / next(h.spool_dir.glob(f"queue/*/{oldest}")).parent.name
     / oldest).unlink()
    h.config["transport"] = [{"name": "sink", "type": "smtp", "host": "127.0.0.1",
                              "port": receiver.port, "tls": "none"}]
    h.config["route"] = [{"sender": "*", "transport": "sink"}]
    h.write_config()
    return h, oldest


def restart_with_the_oldest_held(make_herald, smtp_receiver, fault_shim, tmp_path):
    """A Herald restarted on a long queue with the open of its oldest queue file held until
    the file `release` exists, once the loader has listed the queue: (h, receiver, release)."""
    receiver = smtp_receiver()
    h, oldest = long_queue(make_herald, receiver)
    release = tmp_path / "release-the-oldest"
    h.start(env=fault_shim.pause_open(oldest, release))
    h.wait_for(lambda: queue_loading(h)["load_found_messages"] == 1 + COPIES,
               what="the queue listed")
    return h, receiver, release


def test_new_mail_is_taken_and_delivered_while_the_queue_still_loads(
        make_herald, smtp_receiver, fault_shim, tmp_path):
    h, receiver, release = restart_with_the_oldest_held(make_herald, smtp_receiver, fault_shim,
                                                        tmp_path)
    with h.smtp() as s:
        s.sendmail("new@client.herald.test", ["someone@example.net"],
                   message(subject="sent during loading"))
    h.wait_for(lambda: receiver.messages(), what="the new message delivered")
    # Nothing of the old queue is handed over before its oldest message.
    assert queue_loading(h) == {"loading": 1, "load_found_messages": 1 + COPIES,
                                "load_loaded_messages": 0}
    (delivered,) = receiver.messages()
    assert b"sent during loading" in delivered.data

    release.touch()
    h.wait_for(lambda: queue_loading(h)["loading"] == 0, what="the queue loaded")
    assert queue_loading(h)["load_loaded_messages"] == 1 + COPIES
    h.wait_for_log(rf"queue loaded, {1 + COPIES} queued, 0 set aside")
    h.wait_for(lambda: len(receiver.messages()) == 2 + COPIES, timeout=120,
               what="the old queue delivered")
    assert not h.queue_ids()


def test_a_stop_while_the_queue_loads_is_clean_and_loses_nothing(
        make_herald, smtp_receiver, fault_shim, tmp_path):
    h, receiver, release = restart_with_the_oldest_held(make_herald, smtp_receiver, fault_shim,
                                                        tmp_path)
    h.proc.terminate()
    release.touch()  # the read in hand ends; nothing more is read or handed over
    assert h.proc.wait(timeout=60) == 0
    h.proc = None
    assert not receiver.messages()
    assert len(h.queue_ids()) == 1 + COPIES

    h.start()
    h.wait_for(lambda: len(receiver.messages()) == 1 + COPIES, timeout=120,
               what="the whole queue delivered after the restart")
