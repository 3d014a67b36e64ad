"""A steady load for crash tests: SMTP clients sending numbered messages (an X-Seq header)
until stopped, reconnecting whenever the server goes away. A test kills Herald under it and
then compares what was acknowledged with what its receiver got (arrivals)."""
import collections
import re
import smtplib
import threading
import time

from herald_fixture import message

SEQ = re.compile(rb"^X-Seq: (\S+)\r?$", re.M)
# Herald's Received field: "... by mail.herald.test (Herald)\r\n\twith ESMTP id <id> for ..."
QUEUE_ID = re.compile(rb"^\s+with \S+ id ([^\s;]+)", re.M)
BODY = ("x" * 70 + "\r\n") * 30


class Load:
    """`clients` threads sending numbered messages, each `pause` seconds after the last.
    `sent`: every X-Seq whose DATA was begun; `acked`: those that got 250."""

    def __init__(self, port, clients=4, pause=0.0, reconnect_after=0.05):
        self.port, self.sent, self.acked = port, set(), set()
        self.pause, self.reconnect_after = pause, reconnect_after
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True)
                        for i in range(clients)]

    def client(self, number):
        n = 0
        while not self.stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as s:
                    s.ehlo("load.herald.test")
                    while not self.stop.wait(self.pause):
                        seq = f"c{number}n{n}"
                        n += 1
                        self.send(s, seq)
            except (OSError, smtplib.SMTPException):
                time.sleep(self.reconnect_after)  # the server is down: try again

    def send(self, s, seq):
        s.mail(f"{seq}@load.herald.test")
        s.rcpt("reader@example.net")
        with self.lock:
            self.sent.add(seq)
        code, _ = s.data(message(extra_headers=[f"X-Seq: {seq}"], body=BODY))
        if code == 250:
            with self.lock:
                self.acked.add(seq)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


Arrival = collections.namedtuple("Arrival", "seq at queue_id")


def arrivals(receiver):
    """Every message the receiver got, in order of arrival, repeats included: its X-Seq,
    time.time() at the receiver, and the queue id Herald's Received field names."""
    out = []
    for m in receiver.messages():
        seq, queue_id = SEQ.search(m.data), QUEUE_ID.search(m.data)
        assert seq and queue_id, f"a message without X-Seq or queue id: {m.data[:300]!r}"
        out.append(Arrival(seq.group(1).decode(), m.record["t"], queue_id.group(1).decode()))
    return out


def received_seqs(receiver):
    """The X-Seq of every message the receiver got, in order of arrival, repeats included."""
    return [arrival.seq for arrival in arrivals(receiver)]
