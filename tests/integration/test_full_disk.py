"""A full spool disk: 452 4.3.1, the server keeps working, nothing queued is damaged, and
mail is accepted again once there is room. The spool is a 2 MB tmpfs (needs root)."""
import errno
import os
import subprocess
from contextlib import contextmanager

import pytest

from herald_fixture import message, queued_id, stuck_queue_config, wait_for


def fill(directory):
    """Writes a filler file until the file system is full; returns its path."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
        try:
            os.fsync(f.fileno())
        except OSError:
            pass
    return filler


def send(h, sender, size_lines):
    """Walks one transaction; returns (code, text) of the first refusal or of end of data."""
    with h.raw() as c:
        c.reply()
        c.ehlo()
        for line in (f"MAIL FROM:<{sender}>", "RCPT TO:<x@example.net>"):
            code, texts = c.cmd(line)
            if code != 250:
                return code, " ".join(texts)
        code, texts = c.cmd("DATA")
        if code != 354:
            return code, " ".join(texts)
        c.send(message(sender=sender, body=("w" * 76 + "\r\n") * size_lines))
        code, texts = c.cmd(".")
        c.cmd("QUIT")
        return code, " ".join(texts)


@contextmanager
def small_tmpfs(directory, size):
    """A tmpfs of `size` (mount's syntax: "2m") on directory for the block; skips the test
    where mounting is not allowed. The test stops Herald before the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(directory)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        if subprocess.run(["umount", str(directory)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], capture_output=True)


@pytest.fixture
def tmpfs_spool(tmp_path):
    with small_tmpfs(tmp_path / "var" / "spool", "2m") as spool:
        yield spool


@pytest.mark.allow_panic
def test_full_spool_gets_452_and_recovers(make_herald, tmpfs_spool):
    h = make_herald(start=False, **stuck_queue_config())
    assert h.spool_dir == tmpfs_spool
    try:
        h.start()
        before = {}
        for n in range(2):
            code, text = send(h, f"early{n}@client.herald.test", 20)
            assert code == 250, (code, text)
            before[queued_id(text)] = f"early{n}@client.herald.test"

        filler = fill(tmpfs_spool)
        code, text = send(h, "late@client.herald.test", 700)  # ~55 kB
        assert code == 452 and "4.3.1" in text, (code, text)
        # Still serving: a new session gets its greeting and answers.
        with h.raw() as c:
            assert c.reply()[0] == 220
            c.ehlo()
            assert c.cmd("NOOP")[0] == 250
        assert h.running()

        filler.unlink()

        def accepted():
            code, text = send(h, "after@client.herald.test", 20)
            return (code, text) if code == 250 else None
        code, text = wait_for(accepted, timeout=30, interval=1, what="250 once space is free")
        new_id = queued_id(text)

        # The command line reads the disk, where a queued message's file may wait for the
        # next checkpoint (docs/spool.md, "Unwritten queue files"), which fails while the disk
        # is full and is retried every second.
        def listing_all():
            entries = {e["id"]: e for e in h.queue_list_json()}
            return entries if set(before) | {new_id} <= entries.keys() else None
        entries = wait_for(listing_all, timeout=30, interval=0.5,
                           what="every queued message in `herald queue list`")
        for msg_id, sender in before.items():
            assert msg_id in entries, f"{msg_id} lost on a full disk"
            assert entries[msg_id]["sender"] == sender
            shown = h.cli("queue", "show", msg_id)
            assert shown.returncode == 0 and sender.encode() in shown.stdout, shown
        assert new_id in entries
        assert not any(e["sender"] == "late@client.herald.test" for e in entries.values())
    finally:
        h.stop()


@pytest.mark.allow_panic
def test_message_that_fills_the_disk_midway_leaves_no_debris(make_herald, tmpfs_spool):
    """Room for small mail but not for a big one: the big one gets 452 and its partial
    file is cleaned up, so the small ones that follow still fit."""
    h = make_herald(start=False, **stuck_queue_config())
    try:
        h.start()
        filler = fill(tmpfs_spool)
        with open(filler, "r+b") as f:  # give back 256 kB
            f.truncate(max(0, filler.stat().st_size - 256 * 1024))
        for attempt in range(3):
            code, text = send(h, f"big{attempt}@client.herald.test", 8000)  # ~620 kB
            assert code == 452 and "4.3.1" in text, (code, text)
        for n in range(3):
            code, text = send(h, f"small{n}@client.herald.test", 5)
            assert code == 250, f"small message {n} refused after the big ones: {code} {text}"
        senders = {e["sender"] for e in h.queue_list_json()}
        assert senders == {f"small{n}@client.herald.test" for n in range(3)}, senders
    finally:
        h.stop()


def test_size_the_spool_cannot_take_is_refused_at_mail_with_452(make_herald, tmpfs_spool):
    """RFC 1870 SIZE against the free space of the spool's file system (2 MB here): a message
    that cannot fit, with half its size again and the reserve, gets 452 4.3.1 at MAIL, before
    a byte of it is sent; one that fits is accepted and goes through."""
    h = make_herald(start=False, limits={"spool_reserve": "256k"}, **stuck_queue_config())
    try:
        h.start()
        with h.raw() as c:
            c.reply()
            c.ehlo()
            code, texts = c.cmd("MAIL FROM:<big@client.herald.test> SIZE=1500000")
            assert code == 452 and texts[0] == "4.3.1 Insufficient system storage", (code, texts)
            # Room for this one: the session goes on and the message is queued.
            body = message(sender="fits@client.herald.test", body=("f" * 76 + "\r\n") * 1000)
            code, texts = c.cmd(f"MAIL FROM:<fits@client.herald.test> SIZE={len(body)}")
            assert code == 250, (code, texts)
            assert c.cmd("RCPT TO:<x@example.net>")[0] == 250
            assert c.cmd("DATA")[0] == 354
            c.send(body)
            code, texts = c.cmd(".")
            assert code == 250, (code, texts)
        h.wait_for(lambda: "452" in h.rejectlog(), what="the 452 in the rejectlog")
        line = next(l for l in h.rejectlog().splitlines() if "452" in l)
        assert "big@client.herald.test" in line and "SIZE=1500000" in line, line
        assert "4.3.1" in line, line
        senders = {e["sender"] for e in h.queue_list_json()}
        assert senders == {"fits@client.herald.test"}, senders
    finally:
        h.stop()
