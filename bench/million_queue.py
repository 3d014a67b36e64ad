"""make bench-queue: how Herald holds a long queue. The receiver is down (its transport points
at a loopback port where nothing listens), smtp-source queues N messages (1,000,000 by
default), and the benchmark prints Herald's memory with them all queued, then restarts Herald
and prints how long it took to take mail again (a message sent by SMTP got its 250), how long
until the whole queue was loaded (/metrics: herald_queue_loading 0), and its memory after.
Targets (issue 23): taking mail within 1 s, warm or cold; the queue loaded within 30 s warm;
at most 256 MiB RSS.

It needs about 4.5 GB of disk per million messages under --dir (default: a temporary
directory, removed at the end); 8 GB with --clone.

--clone fills the queue in minutes instead of half an hour: smtp-source queues one message,
which is then copied N-1 times (queue file and schedule) under fresh ids in their buckets and
flushed to disk, as if N had been queued. Only the restart is measured then. --cold empties
the page cache before the restart (root only), as after a reboot.
"""
import argparse
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_service import free_port, stop_child, wait_port
from queue_clone import clone_queue
from run import HERALD, herald_config

SESSIONS = 40
SIZE = 2048


class Herald:
    def __init__(self, workdir):
        self.dir = workdir
        self.port, self.admin_port = free_port(), free_port()
        sections = f"""
[queue]
retry = ["6h"]
max_age = "5d"

[admin]
http = "127.0.0.1:{self.admin_port}"
"""
        (workdir / "herald.toml").write_text(
            herald_config(self.port, "down", free_port(), sections=sections))

    def start(self):
        """Seconds until Herald takes a message: from its start to the 250 of one sent by
        SMTP. The queue is loaded in the background meanwhile."""
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(HERALD), "serve", "--allow-root", "--foreground", "--config", "herald.toml"], cwd=self.dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, deadline=600)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=600) as smtp:
            smtp.sendmail("a@bench.example", ["b@sink.example"],
                          "Subject: during the restart\r\n\r\nhello\r\n")
        return time.monotonic() - self.started

    def loaded(self):
        """Seconds from the start until the queue found at start-up was all read."""
        wait_port(self.admin_port, deadline=600)
        while self.gauge("herald_queue_loading") != 0:
            time.sleep(0.1)
        return time.monotonic() - self.started

    def memory_mib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        now, peak = (int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024
                     for field in ("VmRSS", "VmHWM"))
        return now, peak

    def gauge(self, sample):
        """The value of one sample of /metrics, e.g. 'herald_queue_messages'."""
        body = subprocess.run(["curl", "-sf", "--max-time", "600",
                               f"http://127.0.0.1:{self.admin_port}/metrics"],
                              capture_output=True, text=True, check=True).stdout
        return int(float(re.search(rf"^{re.escape(sample)} (\S+)$", body, re.M).group(1)))

    def deferrals(self):
        return self.gauge('herald_recipients_deferred_total{transport="down"}')

    def stop(self):
        stop_child(self.proc, timeout=300)


def drop_page_cache():
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def settle(herald, messages, deadline=3600):
    """Waits until every message was tried once and deferred: the queue is then at rest."""
    end = time.monotonic() + deadline
    while herald.deferrals() < messages:
        if time.monotonic() > end:
            raise RuntimeError("messages still not tried")
        time.sleep(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="where the spool goes (default: a temp dir)")
    parser.add_argument("--clone", action="store_true",
                        help="queue one message by SMTP and copy it: measures the restart only")
    parser.add_argument("--cold", action="store_true",
                        help="empty the page cache before the restart (root)")
    args = parser.parse_args()
    for tool in ("smtp-source", "curl"):
        if not shutil.which(tool):
            sys.exit(f"bench-queue: {tool} is missing (make deps)")
    with tempfile.TemporaryDirectory(prefix="herald-queue-", dir=args.dir) as tmp:
        herald = Herald(Path(tmp))
        herald.start()
        herald.loaded()
        by_smtp = 1 if args.clone else args.messages
        started = time.monotonic()
        subprocess.run(["smtp-source", "-s", str(SESSIONS), "-m", str(by_smtp), "-l",
                        str(SIZE), "-f", "a@bench.example", "-t", "b@sink.example",
                        f"127.0.0.1:{herald.port}"], check=True, stdout=subprocess.DEVNULL)
        accepted = time.monotonic() - started
        settle(herald, by_smtp + 1)  # and the one sent by start()
        queued = herald.gauge("herald_queue_messages")
        rss, peak = herald.memory_mib()
        herald.stop()
        if args.clone:
            started = time.monotonic()
            clone_queue(Path(tmp) / "var" / "spool", args.messages - 1)
            # The copies stand in for messages queued by SMTP, each flushed when it was
            # accepted: they are flushed too, or the restart races the kernel writing back
            # gigabytes of them.
            os.sync()
            print(f"cloned {args.messages - 1} messages in {time.monotonic() - started:.0f} s")
        if args.cold:
            drop_page_cache()
        restart = herald.start()
        loaded = herald.loaded()
        requeued = herald.gauge("herald_queue_messages") - 1  # the one sent by start()
        rss_after, _ = herald.memory_mib()
        herald.stop()
    if not args.clone:
        print(f"queued {args.messages} messages ({SIZE} bytes, {SESSIONS} sessions) in "
              f"{accepted:.0f} s: {args.messages / accepted:.0f} msg/s")
        print(f"queue gauge: {queued} before the restart, {requeued} after")
        print(f"RSS with the queue at rest: {rss:.0f} MiB (peak {peak:.0f} MiB)")
    else:
        print(f"queue gauge after the restart: {requeued}")
    cache = "cold" if args.cold else "warm"
    print(f"restart ({cache} page cache): taking mail after {restart:.2f} s, queue loaded "
          f"after {loaded:.1f} s, RSS {rss_after:.0f} MiB")


if __name__ == "__main__":
    main()
