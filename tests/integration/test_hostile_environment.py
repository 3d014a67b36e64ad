"""A hostile environment: an unwritable log, the DNS server gone, a receiver that resets the
connection in the middle of DATA. Mail that got 250 is never lost nor delivered twice, each
trouble leaves a clear reason (a deferral in the mainlog for remote trouble, a paniclog line
for Herald's own), and delivery resumes once the trouble is over. (A full spool disk is
test_full_disk.py.)

The tests run as root: an unwritable log is made with chattr +i (which stops root too) or a
full 1 MB tmpfs; they skip where that is not possible."""
import re
import socket
import subprocess
import threading
from contextlib import contextmanager

import pytest

from dns_server import DnsServer
from herald_fixture import delivery_config, maildir_count, message, send
from receivers import free_port_on
from test_full_disk import fill, small_tmpfs

MX = "127.0.0.2"
ZONE = ["one.test. MX 10 mx.one.test.", "mx.one.test. A 127.0.0.2"]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


@contextmanager
def immutable(path):
    """chattr +i on path for the block (skips the test when that is not supported)."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i not supported here: {made.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def maildir_herald(make_herald, tmp_path):
    """A Herald delivering every message into the maildir tmp_path/mail/<user>."""
    return make_herald(transport=[{"name": "box", "type": "maildir",
                                   "path": str(tmp_path / "mail" / "{user}")}],
                       route=[{"sender": "*", "transport": "box"}],
                       queue={"retry": ["1h"], "max_age": "5d"})


@pytest.fixture
def tmpfs_log_dir(tmp_path):
    """var/log of the test's Herald on a 1 MB tmpfs."""
    with small_tmpfs(tmp_path / "var" / "log", "1m") as log_dir:
        yield log_dir


# -- an unwritable log ------------------------------------------------------------------------

@pytest.mark.allow_panic
def test_unwritable_mainlog_does_not_stop_mail_and_paniclog_says_so(make_herald, tmp_path):
    h = maildir_herald(make_herald, tmp_path)
    box = tmp_path / "mail" / "bob"
    first = send(h, "alice@client.herald.test", ["bob@example.net"])
    h.wait_for(lambda: h.completed(first), what="the first message logged")
    logged_before = h.mainlog()

    with immutable(h.log_dir / "mainlog"):
        # Not even root may write the mainlog now. Mail is still taken and delivered.
        send(h, "alice@client.herald.test", ["bob@example.net"])
        h.wait_for(lambda: maildir_count(box) == 2, what="delivery while the log is stuck")
        assert h.mainlog() == logged_before

    after = send(h, "alice@client.herald.test", ["bob@example.net"])
    h.wait_for(lambda: h.completed(after), what="logging to resume in the same mainlog")
    assert maildir_count(box) == 3
    assert h.mainlog().startswith(logged_before)
    assert h.queue_ids() == set(), "nothing stays queued"
    # The lines of the second message are gone: the paniclog must say that the mainlog could not be
    # written, and why.
    panic = h.wait_for(h.paniclog, timeout=10, what="a paniclog line about the mainlog")
    assert "mainlog" in panic and "not permitted" in panic.lower(), panic


@pytest.mark.allow_panic
def test_full_log_disk_does_not_stop_mail_glues_no_lines_and_is_reported(make_herald, tmp_path,
                                                                         tmpfs_log_dir):
    h = maildir_herald(make_herald, tmp_path)
    box = tmp_path / "mail" / "bob"
    try:
        first = send(h, "alice@client.herald.test", ["bob@example.net"])
        h.wait_for(lambda: h.completed(first), what="the first message logged")
        filler = fill(tmpfs_log_dir)
        for _ in range(10):  # more lines than the last page of the mainlog holds
            send(h, "alice@client.herald.test", ["bob@example.net"])
        h.wait_for(lambda: maildir_count(box) == 11, what="delivery while the log disk is full")
        filler.unlink()

        after = send(h, "alice@client.herald.test", ["bob@example.net"])
        h.wait_for(lambda: h.completed(after), what="logging to resume")
        assert h.queue_ids() == set(), "nothing stays queued"
        # A line cut short by the full disk stays a fragment on a line of its own (as syslog
        # leaves it: cutting it off again could cut another process's line); the next line
        # must not be glued to it, or summary and trace would miss that message.
        glued = [line for line in h.mainlog().splitlines() if len(TIMESTAMP.findall(line)) > 1]
        assert glued == [], "a line cut short by the full disk, glued to the next one"
        complaint = h.wait_for(lambda: "mainlog" in h.paniclog() + h.stderr(), timeout=10,
                               what="a complaint about the mainlog (paniclog or stderr)")
        assert complaint
    finally:
        h.stop()


@pytest.mark.allow_panic
def test_logrotate_into_an_unwritable_log_dir_fails_loudly_and_loses_no_line(make_herald,
                                                                             tmp_path):
    h = maildir_herald(make_herald, tmp_path)
    first = send(h, "alice@client.herald.test", ["bob@example.net"])
    h.wait_for(lambda: h.completed(first), what="the first message logged")
    with immutable(h.log_dir):
        rotated = h.cli("logrotate")
        assert rotated.returncode != 0, rotated
        second = send(h, "alice@client.herald.test", ["bob@example.net"])
        h.wait_for(lambda: h.completed(second), what="logging on in the old mainlog")
    assert not (h.log_dir / "mainlog.1").exists()
    assert h.completed(first) and h.completed(second)
    assert re.search(r"log rotation: .*mainlog.*not permitted", h.paniclog()), h.paniclog()
    assert b"mainlog" in rotated.stderr, rotated


def test_log_dir_that_cannot_be_created_stops_the_start_with_a_clear_error(make_herald):
    h = make_herald(start=False)
    h.log_dir.parent.mkdir(parents=True)
    h.log_dir.write_text("a file where the log directory should be\n")
    with pytest.raises(AssertionError, match="exited with") as failed:
        h.start()
    why = str(failed.value)
    assert "var/log" in why and "not a directory" in why.lower(), why


# -- the DNS server gone ----------------------------------------------------------------------

def test_dns_server_gone_defers_then_delivers_when_it_is_back(make_herald, smtp_receiver,
                                                               tmp_path):
    dns = DnsServer(tmp_path / "dns", ZONE).start()
    try:
        port = free_port_on([MX])
        mx = smtp_receiver(MX, port)
        h = make_herald(**delivery_config(dns.address, port, retry=["1h"]))
        dns.stop()  # before any lookup: nothing about one.test is cached

        msg_id = send(h, "alice@client.herald.test", ["bob@one.test"])
        [deferral] = h.wait_for(lambda: h.events(msg_id, "=="), what="the deferral")
        assert "bob@one.test" in deferral and "4.4.3" in deferral, deferral
        assert "MX lookup for one.test failed" in deferral, deferral
        assert not h.events(msg_id, "**"), "no DNS answer is no reason to bounce"
        assert msg_id in h.queue_ids()
        assert mx.connections() == 0

        dns.start()  # the same port again
        flushed = h.cli("queue", "flush")
        assert flushed.returncode == 0, flushed.stderr
        h.wait_for(lambda: h.completed(msg_id), timeout=60, what="delivery once DNS is back")
        [got] = mx.messages()
        assert got.rcpt_tos == ["bob@one.test"]
        assert len(h.events(msg_id, "=>")) == 1
        assert h.queue_ids() == set()
        assert h.paniclog() == "", "a dead DNS server is remote trouble, not a panic"
    finally:
        dns.stop()


# -- a receiver resetting the connection mid-DATA ---------------------------------------------

class ResettingReceiver:
    """A small SMTP server on host:port (a thread per connection). The first `resets`
    connections get 354 to DATA, and once part of the message is in, a TCP reset
    (SO_LINGER 0); later connections take the message with 250."""

    def __init__(self, host, port, resets):
        self.resets = resets
        self.connections = 0
        self.messages = []  # (mail from, [rcpt to], data) of every 250'd transaction
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(16)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def close(self):
        self.listener.close()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                reset = self.connections <= self.resets
            threading.Thread(target=self.serve, args=(conn, reset), daemon=True).start()

    def serve(self, conn, reset):
        conn.settimeout(30)
        reader = conn.makefile("rb")
        say = lambda line: conn.sendall(line.encode() + b"\r\n")
        mail_from, rcpts = None, []
        try:
            say("220 reset.test ESMTP")
            for line in reader:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    say("250 reset.test")
                elif verb == b"MAIL":
                    mail_from, rcpts = line[10:].strip().decode(), []
                    say("250 2.1.0 Ok")
                elif verb == b"RCPT":
                    rcpts.append(line[8:].strip().decode())
                    say("250 2.1.5 Ok")
                elif verb == b"DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    data = bytearray()
                    for data_line in reader:
                        if reset and len(data) > 16384:
                            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                            b"\x01\x00\x00\x00\x00\x00\x00\x00")
                            return
                        if data_line == b".\r\n":
                            break
                        data += data_line
                    with self.lock:
                        self.messages.append((mail_from, rcpts, bytes(data)))
                    say("250 2.0.0 Ok: accepted")
                elif verb == b"QUIT":
                    say("221 2.0.0 Bye")
                    return
                else:
                    say("250 2.0.0 Ok")
        except OSError:
            pass
        finally:
            reader.close()
            conn.close()  # with SO_LINGER 0: a reset


@pytest.mark.parametrize("lines", [2000, 100000], ids=["120kB-all-sent", "6MB-mid-write"])
def test_receiver_resetting_mid_data_is_a_deferral_then_one_delivery(make_herald, dns_zone,
                                                                      lines):
    """The receiver resets after 16 kB of data: Herald has sent the whole message into the
    socket buffers (and waits for the reply), or is still writing."""
    port = free_port_on([MX])
    receiver = ResettingReceiver(MX, port, resets=2)
    try:
        h = make_herald(**delivery_config(dns_zone(ZONE), port, retry=["1h"]))
        body = "".join(f"line {n:06d} of a message long enough to be cut short\r\n"
                       for n in range(lines))
        msg_id = send(h, "alice@client.herald.test", ["bob@one.test"],
                      message(sender="alice@client.herald.test", to="bob@one.test", body=body))
        for attempt in (1, 2):
            h.wait_for(lambda: len(h.events(msg_id, "==")) == attempt,
                       what=f"deferral {attempt}")
            assert msg_id in h.queue_ids()
            assert h.cli("queue", "flush").returncode == 0
        h.wait_for(lambda: h.completed(msg_id), what="delivery at the third connection")

        for deferral in h.events(msg_id, "=="):
            assert "bob@one.test" in deferral and "127.0.0.2" in deferral, deferral
            assert re.search(r"lost connection \(.*(reset by peer|broken pipe)", deferral,
                             re.I), deferral
        assert receiver.connections == 3
        [(mail_from, rcpts, data)] = receiver.messages
        assert rcpts == ["<bob@one.test>"] and mail_from.startswith("<alice@client.herald.test>")
        assert body.encode() in data.replace(b"\r\n..", b"\r\n.")
        assert len(h.events(msg_id, "=>")) == 1
        assert h.queue_ids() == set()
        assert h.paniclog() == "", "a resetting receiver is remote trouble, not a panic"
    finally:
        receiver.close()
