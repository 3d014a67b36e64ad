"""make bench-queue: how Herald holds a long queue. The receiver is down (its transport points
at a loopback port where nothing listens), smtp-source queues N messages (1,000,000 by
default), and the benchmark prints Herald's memory with them all queued, then restarts Herald
and prints how long it took to serve again and its memory after. Targets (issue 7): at most
512 MiB RSS, back within 30 s.

It needs about 4.5 GB of disk per million messages under --dir (default: a temporary
directory, removed at the end).
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_service import free_port, stop_child, wait_port
from run import HERALD

SESSIONS = 40
SIZE = 2048


def config(port, dead_port, admin_port):
    return f"""
[server]
hostname = "bench.herald.test"
spool_dir = "var/spool"
log_dir = "var/log"

[[listener]]
address = "127.0.0.1:{port}"
mode = "relay"

[relay]
networks = ["127.0.0.0/8"]

[limits]
max_connections_per_ip = 1000

[queue]
retry = ["6h"]
max_age = "5d"

[admin]
http = "127.0.0.1:{admin_port}"

# Nothing leaves loopback: no preflight lookups, and no resolver but a dead loopback port.
[preflight]
mode = "off"

[dns]
servers = ["127.0.0.1:{free_port()}"]

[[transport]]
name = "down"
type = "smtp"
host = "127.0.0.1"
port = {dead_port}
tls = "none"

[[route]]
sender = "*"
transport = "down"
"""


class Herald:
    def __init__(self, workdir):
        self.dir = workdir
        self.port, self.admin_port = free_port(), free_port()
        (workdir / "herald.toml").write_text(config(self.port, free_port(), self.admin_port))

    def start(self):
        """Seconds until Herald serves: its admin API answers only once the queue is loaded
        and the event loop runs, whereas a listening socket is bound before that."""
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(HERALD), "serve", "--foreground", "--config", "herald.toml"], cwd=self.dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.admin_port, deadline=600)
        self.gauge("herald_queue_messages")
        return time.monotonic() - started

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
    args = parser.parse_args()
    for tool in ("smtp-source", "curl"):
        if not shutil.which(tool):
            sys.exit(f"bench-queue: {tool} is missing (make deps)")
    with tempfile.TemporaryDirectory(prefix="herald-queue-", dir=args.dir) as tmp:
        herald = Herald(Path(tmp))
        herald.start()
        started = time.monotonic()
        subprocess.run(["smtp-source", "-s", str(SESSIONS), "-m", str(args.messages), "-l",
                        str(SIZE), "-f", "a@bench.example", "-t", "b@sink.example",
                        f"127.0.0.1:{herald.port}"], check=True, stdout=subprocess.DEVNULL)
        accepted = time.monotonic() - started
        settle(herald, args.messages)
        queued = herald.gauge("herald_queue_messages")
        rss, peak = herald.memory_mib()
        herald.stop()
        restart = herald.start()
        requeued = herald.gauge("herald_queue_messages")
        rss_after, _ = herald.memory_mib()
        herald.stop()
    print(f"queued {args.messages} messages ({SIZE} bytes, {SESSIONS} sessions) in "
          f"{accepted:.0f} s: {args.messages / accepted:.0f} msg/s")
    print(f"queue gauge: {queued} before the restart, {requeued} after")
    print(f"RSS with the queue at rest: {rss:.0f} MiB (peak {peak:.0f} MiB)")
    print(f"restart: serving again after {restart:.1f} s, RSS {rss_after:.0f} MiB")


if __name__ == "__main__":
    main()
