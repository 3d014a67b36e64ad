"""make bench: Herald beside Postfix on the same load, on this machine, in this run.

The load is Postfix's smtp-source (20 sessions, 2 KiB messages) into each system, which
relays everything to smtp-sink. For each system: acceptance rate (until smtp-source is done),
end-to-end rate (until the last message is delivered to the sink, from the system's log),
acceptance latency p50/p99 (a probe client sending one message at a time beside the load)
and RSS. Runs alternate (herald, postfix, herald, ...); medians are compared.

Two benchmarks, both by default (--only picks one):
- relay: as above; the ceiling is smtp-source straight into smtp-sink.
- dkim: every message also signed rsa-sha256 with one 2048-bit key, by Herald itself and by
  OpenDKIM as Postfix's milter; a check run first verifies that what each system delivers
  carries a valid signature. The ceiling is `openssl speed rsa2048` sign/s times the cores.
See ../shared/bench/README.md for the method.
"""
import argparse
import os
import re
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from dkim_signing import (PRIVATE_DIR_PARENT, RSA_BITS, DkimKey, NotSigned, OpenDkimMilter,
                          rsa_sign_per_second, verify_signed)
from local_service import free_port, stop_child, wait_port
from postfix_peer import PostfixPeer

ROOT = Path(__file__).resolve().parent.parent
HERALD = Path(os.environ.get("HERALD_BIN", ROOT / "build" / "herald"))
SESSIONS = 20
SIZE = 2048
SENDER_DOMAIN = "bench.example"  # smtp-source's From: is its envelope sender: DKIM signs for it
SENDER = f"a@{SENDER_DOMAIN}"
RECIPIENT = "b@sink.example"
DKIM_SELECTOR = "bench"
SIGNING_CHECK_MESSAGES = 5
RSA_SPEED_SECONDS = 5


def wait_until(predicate, deadline, what):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class Sink:
    """smtp-sink, accepting everything; the systems' logs count what it received. With
    dump_dir, it also writes each message there (slower: for checks, not for timed runs)."""

    def __init__(self, dump_dir=None):
        self.port = free_port()
        self.dump_dir = dump_dir
        self.proc = None

    def start(self):
        dump = []
        if self.dump_dir:
            self.dump_dir.mkdir(parents=True)
            shutil.chown(self.dump_dir, "nobody")  # smtp-sink writes as -u nobody
            dump = ["-d", f"{self.dump_dir}/"]
        self.proc = subprocess.Popen(
            ["smtp-sink", "-u", "nobody", *dump, f"127.0.0.1:{self.port}", "2000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def stop(self):
        stop_child(self.proc, timeout=10)


class LatencyProbe(threading.Thread):
    """One session beside the load, one message at a time: seconds from the end of DATA to
    the 250."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        sender = f"probe@{SENDER_DOMAIN}"
        body = (f"From: {sender}\r\nTo: {RECIPIENT}\r\nSubject: probe\r\n\r\n" +
                ("x" * 76 + "\r\n") * ((SIZE - 80) // 78))
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
                client.ehlo("probe.bench.example")
                while not self.stopping.is_set():
                    client.mail(sender)
                    client.rcpt(RECIPIENT)
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


def smtp_source(port, messages, sessions=SESSIONS):
    start = time.monotonic()
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(SIZE),
                    "-f", SENDER, "-t", RECIPIENT, f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def herald_config(port, transport, transport_port, transport_settings="", sections=""):
    """Herald relaying all it gets on 127.0.0.1:port through one SMTP transport to
    127.0.0.1:transport_port, plus transport_settings (lines of that transport's table) and
    sections (more TOML tables)."""
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

[[transport]]
name = "{transport}"
type = "smtp"
host = "127.0.0.1"
port = {transport_port}
tls = "none"
{transport_settings}
[[route]]
sender = "*"
transport = "{transport}"

# Preflight asks DNS about the sender's domain (SPF, DMARC): Postfix does no such work, and
# the benchmark must not send anything beyond loopback. Any other lookup goes to a loopback
# port where nothing listens, and fails at once.
[preflight]
mode = "off"

[dns]
servers = ["127.0.0.1:{free_port()}"]
""" + sections


def _herald_dkim_section(key):
    if key is None:
        return ""
    # No DNS publishes the key here: require_dns_match = false makes Herald sign regardless.
    return f"""
[[dkim.key]]
domain = "{key.domain}"
selector = "{key.selector}"
private_key = "{key.private_key}"
require_dns_match = false
canonicalization = "relaxed/relaxed"
"""


class HeraldSystem:
    """Herald in the foreground, relaying everything to relay_port; signing with dkim_key
    when one is given."""

    def __init__(self, workdir, relay_port, dkim_key=None):
        self.name = "herald"
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.mainlog = self.dir / "var" / "log" / "mainlog"
        self.proc = None
        (self.dir / "herald.toml").write_text(
            herald_config(self.port, "sink", relay_port, "max_connections = 20\n",
                          _herald_dkim_section(dkim_key)))

    def start(self):
        self.proc = subprocess.Popen([str(HERALD), "serve", "--foreground", "--config", "herald.toml"],
                                     cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def delivered(self):
        try:
            return self.mainlog.read_text(errors="replace").count(" => ")
        except FileNotFoundError:
            return 0

    def rss_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))

    def stop(self):
        stop_child(self.proc)


class PostfixSystem:
    """The private Postfix instance; with dkim_key, behind its own OpenDKIM milter, which is
    counted as part of it (RSS included)."""

    def __init__(self, workdir, relay_port, dkim_key=None):
        workdir = Path(workdir)
        self.port = free_port()
        self.milter = OpenDkimMilter(workdir / "opendkim", dkim_key) if dkim_key else None
        self.name = "postfix+opendkim" if self.milter else "postfix"
        self.peer = PostfixPeer(workdir, self.port, relay_port,
                                milter_port=self.milter.port if self.milter else None)

    def start(self):
        if self.milter:
            self.milter.start()
        self.peer.start()
        wait_port(self.port)

    def delivered(self):
        return self.peer.sent()

    def rss_kib(self):
        return self.peer.rss_kib() + (self.milter.rss_kib() if self.milter else 0)

    def stop(self):
        self.peer.stop()
        if self.milter:
            self.milter.stop()


@contextmanager
def relaying_to_sink(make_system, workdir, dump_dir=None):
    """A system (make_system(workdir, relay_port)) started with a fresh smtp-sink as its relay;
    both stopped on the way out, whatever happened, the system first. Each stop is registered
    before its start, so a start that fails halfway is cleaned up too."""
    with ExitStack() as stack:
        sink = Sink(dump_dir)
        stack.callback(sink.stop)
        sink.start()
        system = make_system(workdir, sink.port)
        stack.callback(system.stop)
        system.start()
        yield system


def measure(make_system, workdir, messages):
    with relaying_to_sink(make_system, workdir) as system:
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
    return system.name, {"accept": messages / accept_seconds, "end_to_end": messages / (done - start),
                         "p50_ms": probe.percentile(50) * 1000, "p99_ms": probe.percentile(99) * 1000,
                         "rss_mib": rss / 1024}


def check_signing(make_system, workdir, key):
    """A few messages through the system into a sink that keeps them; each must carry a valid
    signature by key (raises NotSigned otherwise)."""
    dump_dir = Path(workdir) / "delivered"
    with relaying_to_sink(make_system, Path(workdir) / "system", dump_dir) as system:
        smtp_source(system.port, SIGNING_CHECK_MESSAGES, sessions=1)
        wait_until(lambda: system.delivered() >= SIGNING_CHECK_MESSAGES, 60,
                   f"{system.name} to deliver the signing check's messages")
    verified = verify_signed(system.name, dump_dir, key, SIGNING_CHECK_MESSAGES)
    print(f"check {system.name}: signs, {verified} of {verified} messages at the sink verified "
          f"(a=rsa-sha256, d={key.domain}, s={key.selector}, {RSA_BITS} bits)", flush=True)


@dataclass
class Benchmark:
    """One comparison: the same load, runs alternating between the systems, a ceiling."""
    name: str
    dkim_key: Optional[DkimKey]
    load_note: str
    ratio_label: str         # for the end-to-end ratio line
    accept_ratio_label: str  # for the acceptance ratio line
    ceiling_label: str       # for the ceiling's share line
    ceiling: Callable[[int], tuple[float, str]]  # messages -> (msg/s, how it was found)

    def systems(self):
        def herald(workdir, relay_port):
            return HeraldSystem(workdir, relay_port, self.dkim_key)

        def postfix(workdir, relay_port):
            return PostfixSystem(workdir, relay_port, self.dkim_key)
        return (herald, postfix)


def relay_ceiling(messages):
    sink = Sink()
    try:
        sink.start()
        return messages / smtp_source(sink.port, messages), "(smtp-source straight into smtp-sink)"
    finally:
        sink.stop()


def rsa_ceiling(_messages):
    per_core = rsa_sign_per_second(RSA_SPEED_SECONDS)
    cores = len(os.sched_getaffinity(0))
    return per_core * cores, f"(openssl speed rsa{RSA_BITS}: {per_core:.0f} sign/s x {cores} cores)"


def relay_benchmark():
    return Benchmark("relay", None, "", "ratio relay herald/postfix", "ratio accept herald/postfix",
                     "herald end-to-end / ceiling", relay_ceiling)


def dkim_benchmark(key_dir):
    key = DkimKey(key_dir, SENDER_DOMAIN, DKIM_SELECTOR)
    return Benchmark("dkim", key, f", signed rsa-sha256 {RSA_BITS}-bit",
                     "ratio dkim herald/postfix+opendkim", "ratio dkim accept herald/postfix+opendkim",
                     "herald end-to-end / RSA ceiling", rsa_ceiling)


def run_benchmark(bench, tmp, args):
    """The alternating runs, then the ceiling; prints each run as it ends and the medians."""
    workdir = Path(tmp) / bench.name
    if bench.dkim_key:
        for make_system in bench.systems():
            check_signing(make_system, workdir / f"check-{make_system.__name__}", bench.dkim_key)
    results = {}
    for run in range(args.runs):
        for make_system in bench.systems():
            name, r = measure(make_system, workdir / f"{make_system.__name__}-{run}", args.messages)
            results.setdefault(name, []).append(r)
            print(f"run {run + 1} {bench.name} {name}: accept {r['accept']:.0f} msg/s, "
                  f"end-to-end {r['end_to_end']:.0f} msg/s, p50 {r['p50_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms, RSS {r['rss_mib']:.0f} MiB", flush=True)
    top, how = bench.ceiling(args.messages)
    print_report(bench, results, top, how, args)


def print_report(bench, results, top, how, args):
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
               for name, runs in results.items()}
    herald, peer = medians["herald"], next(m for name, m in medians.items() if name != "herald")
    width = max(len(name) for name in medians) + 2
    print()
    print(f"load: smtp-source -s {SESSIONS} -m {args.messages} -l {SIZE}{bench.load_note}, "
          f"{args.runs} runs, medians")
    print(f"{'':{width}}{'accept/s':>10}{'e2e/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'RSS MiB':>9}")
    for name, m in medians.items():
        print(f"{name:{width}}{m['accept']:>10.0f}{m['end_to_end']:>10.0f}{m['p50_ms']:>9.1f}"
              f"{m['p99_ms']:>9.1f}{m['rss_mib']:>9.0f}")
    print(f"{'ceiling':{width}}{top:>10.0f}  {how}")
    print()
    print(f"{bench.ratio_label}: {herald['end_to_end'] / peer['end_to_end']:.1f}")
    print(f"{bench.accept_ratio_label}: {herald['accept'] / peer['accept']:.1f}")
    print(f"{bench.ceiling_label}: {herald['end_to_end'] / top:.0%}")
    print(flush=True)


def check_tools(only):
    tools = ["smtp-source", "smtp-sink", "postfix"]
    if only != "relay":
        tools += ["opendkim", "openssl"]
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (make deps installs it)")
    if not HERALD.exists():
        sys.exit(f"bench: {HERALD} is missing (make build)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("relay", "dkim"),
                        help="run one benchmark (default: relay, then dkim)")
    args = parser.parse_args()
    check_tools(args.only)
    # On SIGTERM, unwind like on ^C, so that every child is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="herald-bench-"))
        os.chmod(tmp, 0o755)  # Postfix daemons run as the postfix user
        benchmarks = []
        if args.only in (None, "relay"):
            benchmarks.append(relay_benchmark())
        if args.only in (None, "dkim"):
            key_dir = stack.enter_context(tempfile.TemporaryDirectory(
                prefix="herald-bench-dkim-", dir=PRIVATE_DIR_PARENT))
            benchmarks.append(dkim_benchmark(key_dir))
        try:
            for bench in benchmarks:
                run_benchmark(bench, tmp, args)
        except NotSigned as e:
            sys.exit(f"bench: DKIM check failed: {e}")


if __name__ == "__main__":
    main()
