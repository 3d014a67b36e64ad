"""make bench: Herald beside Postfix on the same load, on this machine, in this run.

The load is Postfix's smtp-source (20 sessions, 2 KiB messages) into each system, which
relays everything to smtp-sink. For each system: acceptance rate (until smtp-source is done),
end-to-end rate (until the last message is delivered to the sink, from the system's log),
acceptance latency p50/p99 (a probe client sending one message at a time beside the load)
and RSS. Runs alternate (herald, postfix, herald, ...); medians are compared. The ceiling is
smtp-source straight into smtp-sink. See ../shared/bench/README.md for the method.
"""
import argparse
import os
import re
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from postfix_peer import PostfixPeer

ROOT = Path(__file__).resolve().parent.parent
HERALD = Path(os.environ.get("HERALD_BIN", ROOT / "build" / "herald"))
SESSIONS = 20
SIZE = 2048


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=20):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def wait_until(predicate, deadline, what):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class Sink:
    """smtp-sink, accepting everything; the systems' logs count what it received."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["smtp-sink", "-u", "nobody", f"127.0.0.1:{self.port}", "2000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


class LatencyProbe(threading.Thread):
    """One session beside the load, one message at a time: seconds from the end of DATA to
    the 250."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        body = ("From: probe@bench.example\r\nTo: b@sink.example\r\nSubject: probe\r\n\r\n" +
                ("x" * 76 + "\r\n") * ((SIZE - 80) // 78))
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
                client.ehlo("probe.bench.example")
                while not self.stopping.is_set():
                    client.mail("probe@bench.example")
                    client.rcpt("b@sink.example")
                    client.putcmd("data")
                    client.getreply()
                    client.send(body.encode() + b".\r\n")
                    start = time.perf_counter()
                    code, _ = client.getreply()
                    if code == 250:
                        self.samples.append(time.perf_counter() - start)
                    time.sleep(0.01)
        except (OSError, smtplib.SMTPException):
            pass

    def percentile(self, p):
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def smtp_source(port, messages):
    start = time.monotonic()
    subprocess.run(["smtp-source", "-s", str(SESSIONS), "-m", str(messages), "-l", str(SIZE),
                    "-f", "a@bench.example", "-t", "b@sink.example", f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


class HeraldSystem:
    name = "herald"

    def __init__(self, workdir, relay_port):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.mainlog = self.dir / "var" / "log" / "mainlog"
        (self.dir / "herald.toml").write_text(f"""
[server]
hostname = "bench.herald.test"
spool_dir = "var/spool"
log_dir = "var/log"

[[listener]]
address = "127.0.0.1:{self.port}"
mode = "relay"

[relay]
networks = ["127.0.0.0/8"]

[limits]
max_connections_per_ip = 1000

[[transport]]
name = "sink"
type = "smtp"
host = "127.0.0.1"
port = {relay_port}
tls = "none"
max_connections = 20

[[route]]
sender = "*"
transport = "sink"
""")

    def start(self):
        self.proc = subprocess.Popen([str(HERALD), "serve", "--foreground", "--config", "herald.toml"],
                                     cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def delivered(self):
        try:
            return self.mainlog.read_text(errors="replace").count(" => ")
        except FileNotFoundError:
            return 0

    def rss_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class PostfixSystem:
    name = "postfix"

    def __init__(self, workdir, relay_port):
        self.port = free_port()
        self.peer = PostfixPeer(workdir, self.port, relay_port)

    def start(self):
        self.peer.start()
        wait_port(self.port)

    def delivered(self):
        return self.peer.sent()

    def rss_kib(self):
        return self.peer.rss_kib()

    def stop(self):
        self.peer.stop()


def measure(system_class, workdir, messages):
    sink = Sink()
    system = system_class(workdir, sink.port)
    system.start()
    probe = LatencyProbe(system.port)
    try:
        probe.start()
        start = time.monotonic()
        accept_seconds = smtp_source(system.port, messages)
        probe.stopping.set()
        probe.join(timeout=60)
        total = messages + len(probe.samples)
        done = wait_until(lambda: system.delivered() >= total, 600, "every message at the sink")
        rss = system.rss_kib()
    finally:
        probe.stopping.set()
        system.stop()
        sink.stop()
    return {"accept": messages / accept_seconds, "end_to_end": messages / (done - start),
            "p50_ms": probe.percentile(50) * 1000, "p99_ms": probe.percentile(99) * 1000,
            "rss_mib": rss / 1024}


def ceiling(messages):
    sink = Sink()
    try:
        return messages / smtp_source(sink.port, messages)
    finally:
        sink.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("smtp-source", "smtp-sink", "postfix"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (make deps installs postfix)")
    if not HERALD.exists():
        sys.exit(f"bench: {HERALD} is missing (make build)")
    results = {"herald": [], "postfix": []}
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        os.chmod(tmp, 0o755)  # Postfix daemons run as the postfix user
        for run in range(args.runs):
            for system in (HeraldSystem, PostfixSystem):
                r = measure(system, Path(tmp) / f"{system.name}-{run}", args.messages)
                results[system.name].append(r)
                print(f"run {run + 1} {system.name}: accept {r['accept']:.0f} msg/s, "
                      f"end-to-end {r['end_to_end']:.0f} msg/s, p50 {r['p50_ms']:.1f} ms, "
                      f"p99 {r['p99_ms']:.1f} ms, RSS {r['rss_mib']:.0f} MiB", flush=True)
        top = ceiling(args.messages)
    print()
    print(f"load: smtp-source -s {SESSIONS} -m {args.messages} -l {SIZE}, {args.runs} runs, medians")
    print(f"{'':10}{'accept/s':>10}{'e2e/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'RSS MiB':>9}")
    med = {}
    for name, runs in results.items():
        med[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        m = med[name]
        print(f"{name:10}{m['accept']:>10.0f}{m['end_to_end']:>10.0f}{m['p50_ms']:>9.1f}"
              f"{m['p99_ms']:>9.1f}{m['rss_mib']:>9.0f}")
    print(f"{'ceiling':10}{top:>10.0f}  (smtp-source straight into smtp-sink)")
    print()
    print(f"ratio relay herald/postfix: {med['herald']['end_to_end'] / med['postfix']['end_to_end']:.1f}")
    print(f"ratio accept herald/postfix: {med['herald']['accept'] / med['postfix']['accept']:.1f}")
    print(f"herald end-to-end / ceiling: {med['herald']['end_to_end'] / top:.0%}")


if __name__ == "__main__":
    main()
