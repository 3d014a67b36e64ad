"""make bench: Herald beside Postfix on the same load, on this machine, in this run.

The load is Postfix's smtp-source (20 sessions, 2 KiB messages) into each system, which
relays everything to smtp-sink. For each system: acceptance rate (until smtp-source is done),
end-to-end rate (until the last message is delivered to the sink, from the system's log),
acceptance latency p50/p99 (a probe client sending one message at a time beside the load)
and RSS. Runs alternate (herald, postfix, herald, ...); medians are compared.

Three benchmarks, all by default (--only picks one):
- relay: as above; the ceiling is smtp-source straight into smtp-sink, measured in every run
  after the systems (the median is reported).
- dkim: every message also signed rsa-sha256 with one 2048-bit key, by Herald itself and by
  OpenDKIM as Postfix's milter; a check run first verifies that what each system delivers
  carries a valid signature. The ceiling is `openssl speed rsa2048` sign/s times the cores.
- api: Herald alone, the same messages once through SMTP (smtp-source) and once through the
  sending API (POST /api/v1/messages from 20 keep-alive HTTP/1.1 clients), runs alternating;
  the ratio API/SMTP is the figure (goal: at least 0.80). The ceiling is the same HTTP
  clients against a trivial HTTP server.
See ../shared/bench/README.md for the method.

And one more, only when asked for (--only shaping; all its systems take about 75 minutes):
- shaping: reply-driven traffic shaping (issue 17). 5,000 messages for 500 domains of one
  mailbox provider, whose one MX (bench/throttling_receiver.py) accepts 20 messages a second
  per client IP and answers 421 4.7.28 beyond; the domains' MX records come from unbound on
  loopback (bench/shaping_scenario.py). Herald, in MX mode from 127.0.0.2 with a
  [[shaping_rule]] reduce_rate for the 421 and the default retry schedule, once for each of
  SHAPING_SETTINGS; Postfix, from the same address through the same DNS, with its defaults
  and with rate delays. The figures: the time until all 5,000 are accepted against the best
  possible (250 s; goal at most 1.2x), and the share of delivery attempts that drew a 421
  (goal under 5%). Runs are cut at --limit times the best (default 3x), reporting how many
  were delivered by then. --system picks systems by a part of their names.

And (--only suppression, about 8 minutes) the suppression lists (issue 18), against a list
of 1,000,000 addresses made for the run (bench/suppression_scenario.py):
- import: `herald suppress import` of it into a fresh spool beside `postmap` of the same
  addresses as a Postfix access table (hash:, and btree:): time and peak RSS (goal: under a
  minute).
- the check at RCPT: Herald with the list and with an empty one, Postfix with
  `check_recipient_access hash:` of the table and without it, each discarding what it
  accepts, driven by smtp-source (-r 50 -N: new recipients, none listed) and by a pipelined
  RCPT load without DATA (addresses not on the list; then, with the list, addresses on it,
  all refused). Recipients a second; the ratio with/without the list is the check's cost in
  context, and (1/rate_with - 1/rate_without) its microseconds a recipient.
- directly: the check's SQL query on the imported database from Python's sqlite3 (outside
  Herald): microseconds a lookup.
"""
import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import re
import resource
import secrets
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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from cluster_scenario import RATE_LIMIT, RedisProcess, cluster_section
from dkim_signing import (PRIVATE_DIR_PARENT, RSA_BITS, DkimKey, NotSigned, OpenDkimMilter,
                          rsa_sign_per_second, verify_signed)
from local_service import free_port, stop_child, wait_port
from postfix_peer import PostfixPeer
from shaping_scenario import (BEST_SECONDS, DOMAINS, FLEET_HOST, INJECT_SESSIONS, RATE,
                              HeraldSetting, HeraldShaping, LoopbackDns, PostfixShaping,
                              Receiver)
from shaping_scenario import MESSAGES as SHAPING_MESSAGES
from shaping_scenario import SIZE as SHAPING_SIZE
from shaping_scenario import measure as measure_shaping
from suppression_scenario import ENTRIES as SUPPRESSION_ENTRIES
from suppression_scenario import RCPT_RECIPIENTS, RECIPIENTS, HeraldSuppressing, PostfixSuppressing
from suppression_scenario import SESSIONS as SUPPRESSION_SESSIONS
from suppression_scenario import SMTP_MESSAGES as SUPPRESSION_MESSAGES
from suppression_scenario import (direct_lookups, herald_import, listed, listed_for_sender,
                                  postfix_import, unlisted, write_lists)
from suppression_scenario import measure as measure_suppression

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
API_PATH = "/api/v1/messages"
API_KEY_NAME = "bench"
API_GOAL = 0.80  # API rate / SMTP rate
SHAPING_GOAL_TIME = 1.2    # time to deliver everything / the best possible
SHAPING_GOAL_SHARE = 0.05  # delivery attempts that drew a 421
# Herald's reactions tried, one run each per --runs.
SHAPING_SETTINGS = [
    HeraldSetting(factor=0.5, quiet_period="5m", recovery_step=0.1),  # the defaults
    HeraldSetting(factor=0.8, quiet_period="5m", recovery_step=0.1),
    HeraldSetting(factor=0.9, quiet_period="5m", recovery_step=0.1),
    HeraldSetting(factor=0.95, quiet_period="5m", recovery_step=0.1),
    HeraldSetting(factor=0.9, quiet_period="2m", recovery_step=0.05),
    HeraldSetting(factor=0.9, quiet_period="30s", recovery_step=0.05),
    # a configured rate twice what the provider takes: the reductions start from it
    HeraldSetting(factor=0.9, quiet_period="5m", recovery_step=0.1,
                  provider_keys="max_messages_per_minute = 2400\n"),
]
# Postfix's: its rate delays take whole seconds (1s is the least above none), and they are per
# destination, which is per recipient domain here, or per transport (all destinations).
POSTFIX_SHAPING = [
    ("postfix default", ""),
    ("postfix smtp_destination_rate_delay 1s", "smtp_destination_rate_delay = 1s\n"),
    ("postfix smtp_transport_rate_delay 1s", "smtp_transport_rate_delay = 1s\n"),
]


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


def _herald_api_section(api_port, token):
    if api_port is None:
        return ""
    return f"""
[admin]
http = "127.0.0.1:{api_port}"

[[api_key]]
name = "{API_KEY_NAME}"
key_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"
sender_domains = ["{SENDER_DOMAIN}"]
"""


class HeraldSystem:
    """Herald in the foreground, relaying everything to relay_port; signing with dkim_key
    when one is given; with api_token, also serving the sending API (api_port) to that
    token."""

    def __init__(self, workdir, relay_port, dkim_key=None, api_token=None, sections=""):
        self.name = "herald"
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.api_port = free_port() if api_token else None
        self.mainlog = self.dir / "var" / "log" / "mainlog"
        self.proc = None
        (self.dir / "herald.toml").write_text(
            herald_config(self.port, "sink", relay_port, "max_connections = 20\n",
                          _herald_dkim_section(dkim_key) +
                          _herald_api_section(self.api_port, api_token) + sections))

    def start(self):
        self.proc = subprocess.Popen([str(HERALD), "serve", "--allow-root", "--foreground", "--config", "herald.toml"],
                                     cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)
        if self.api_port:
            wait_port(self.api_port, proc=self.proc)

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
    """The alternating runs, each with its ceiling; prints each run as it ends and the
    medians. The ceiling is measured in every run, beside the systems: on this VM it moves by
    half within minutes, so a single one taken at the end would set the share by chance."""
    workdir = Path(tmp) / bench.name
    if bench.dkim_key:
        for make_system in bench.systems():
            check_signing(make_system, workdir / f"check-{make_system.__name__}", bench.dkim_key)
    results = {}
    ceilings = []
    for run in range(args.runs):
        for make_system in bench.systems():
            name, r = measure(make_system, workdir / f"{make_system.__name__}-{run}", args.messages)
            results.setdefault(name, []).append(r)
            print(f"run {run + 1} {bench.name} {name}: accept {r['accept']:.0f} msg/s, "
                  f"end-to-end {r['end_to_end']:.0f} msg/s, p50 {r['p50_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms, RSS {r['rss_mib']:.0f} MiB", flush=True)
        top, how = bench.ceiling(args.messages)
        ceilings.append(top)
        print(f"run {run + 1} {bench.name} ceiling: {top:.0f} msg/s", flush=True)
    print_report(bench, results, statistics.median(ceilings), how, args)


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


# -- api: Herald's sending API beside Herald's SMTP ----------------------------------------------

class ApiLoadFailed(Exception):
    """A request of the API load was not answered 202: the run would measure nothing."""


def api_request(port, token):
    """The request every API client sends, as bytes: 2 KiB of text from SENDER to RECIPIENT,
    as smtp-source's messages are."""
    text = (("x" * 76 + "\n") * (SIZE // 77 + 1))[:SIZE]
    body = json.dumps({"from": SENDER, "to": [RECIPIENT], "subject": "bench",
                       "text": text}).encode()
    head = (f"POST {API_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class KeepAliveConnection:
    """One HTTP/1.1 connection, one request at a time. The request is bytes made once, and an
    answer is read with just the parsing it needs (status, Content-Length, Connection), so that
    a client costs little CPU per request: http.client parses every header with the email
    package, and the load generator shares the machine's cores with Herald."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def exchange(self, request):
        """Sends request; (status, body, whether the server closes the connection after it)."""
        self.sock.sendall(request)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._more()
        status_line, *fields = self.buf[:end].decode("latin-1").split("\r\n")
        self.buf = self.buf[end + 4:]
        length, closing = 0, False
        for field in fields:
            name, _, value = field.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                closing = "close" in value.lower()
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return int(status_line.split(" ", 2)[1]), body, closing

    def close(self):
        self.sock.close()


def api_load(port, request, messages, clients=SESSIONS):
    """`messages` POSTs of `request` from `clients` threads, each on its own keep-alive
    connection, taking messages from one count as smtp-source's sessions do: (seconds, CPU
    seconds this process used meanwhile). Raises ApiLoadFailed if any answer is not 202."""
    lock = threading.Lock()
    left = [messages]
    failures = []

    def take():
        with lock:
            if left[0] == 0 or failures:
                return False
            left[0] -= 1
            return True

    def client():
        connection = None
        try:
            while take():
                if connection is None:
                    connection = KeepAliveConnection(port)
                status, body, closing = connection.exchange(request)
                if status != 202:
                    failures.append(f"{status} {body[:300].decode(errors='replace')}")
                if closing:
                    connection.close()
                    connection = None
        except OSError as e:
            failures.append(f"{type(e).__name__}: {e}")
        finally:
            if connection is not None:
                connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    cpu, start = time.process_time(), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    if failures:
        raise ApiLoadFailed(f"{len(failures)} request(s) failed, the first: {failures[0]}")
    return seconds, cpu


class TrivialHttp(asyncio.Protocol):
    """Answers each request 202 with a fixed body at once, reading only enough of it
    (Content-Length) to find the next: the API load's ceiling, with no MTA behind it."""
    ANSWER = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
              b"Content-Length: 2\r\n\r\n{}")

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        while (end := self.buf.find(b"\r\n\r\n")) >= 0:
            head = self.buf[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            self.transport.write(self.ANSWER)


def serve_trivial_http(port):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the benchmark's unwinding handler

    async def serve():
        server = await asyncio.get_running_loop().create_server(TrivialHttp, "127.0.0.1", port)
        await server.serve_forever()
    asyncio.run(serve())


def api_ceiling(messages):
    """The API load into TrivialHttp (its own process): (msg/s, the load's CPU seconds per
    request). A lower bound of what the load generator can send: the server is Python too."""
    port = free_port()
    server = multiprocessing.get_context("fork").Process(target=serve_trivial_http, args=(port,),
                                                         daemon=True)
    server.start()
    try:
        wait_port(port)
        seconds, cpu = api_load(port, api_request(port, "ceiling"), messages)
        return messages / seconds, cpu / messages
    finally:
        server.terminate()
        server.join()


def children_cpu():
    """CPU seconds of the children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_api(workdir, messages, through):
    """Herald with the sending API on, relaying to a fresh smtp-sink; the messages sent
    `through` "smtp" (smtp-source) or "api" (api_load). The load generator's CPU per message
    is measured too: it shares the cores with Herald."""
    token = secrets.token_hex(32)

    def herald(workdir, relay_port):
        return HeraldSystem(workdir, relay_port, api_token=token)
    with relaying_to_sink(herald, workdir) as system:
        start = time.monotonic()
        if through == "smtp":
            cpu = children_cpu()
            accept_seconds = smtp_source(system.port, messages)
            cpu = children_cpu() - cpu
        else:
            accept_seconds, cpu = api_load(system.api_port, api_request(system.api_port, token),
                                           messages)
        done = wait_until(lambda: system.delivered() >= messages, 600, "every message at the sink")
        rss = system.rss_kib()
    return {"accept": messages / accept_seconds, "end_to_end": messages / (done - start),
            "load_cpu_ms": cpu / messages * 1000, "rss_mib": rss / 1024}


def run_api_benchmark(tmp, args):
    """Runs alternating between SMTP and the API, each into a fresh Herald with the same
    config; then the API load's ceiling; prints each run as it ends and the medians."""
    workdir = Path(tmp) / "api"
    results = {"smtp": [], "api": []}
    for run in range(args.runs):
        for through in results:
            r = measure_api(workdir / f"{through}-{run}", args.messages, through)
            results[through].append(r)
            print(f"run {run + 1} api herald {through}: accept {r['accept']:.0f} msg/s, "
                  f"end-to-end {r['end_to_end']:.0f} msg/s, load generator CPU "
                  f"{r['load_cpu_ms']:.3f} ms/msg, RSS {r['rss_mib']:.0f} MiB", flush=True)
    top, top_cpu = api_ceiling(args.messages)
    print_api_report(results, top, top_cpu, args)


def print_api_report(results, top, top_cpu, args):
    medians = {through: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
               for through, runs in results.items()}
    smtp, api = medians["smtp"], medians["api"]
    width = len("api ceiling") + 2
    print()
    print(f"load: {SESSIONS} clients, {args.messages} messages of {SIZE} bytes to one recipient, "
          f"by smtp-source and by POST {API_PATH} (HTTP/1.1 keep-alive), {args.runs} runs, "
          f"medians")
    print(f"{'':{width}}{'accept/s':>10}{'e2e/s':>10}{'load CPU ms':>13}{'RSS MiB':>9}")
    for name, m in (("herald smtp", smtp), ("herald api", api)):
        print(f"{name:{width}}{m['accept']:>10.0f}{m['end_to_end']:>10.0f}"
              f"{m['load_cpu_ms']:>13.3f}{m['rss_mib']:>9.0f}")
    print(f"{'api ceiling':{width}}{top:>10.0f}  (the same {SESSIONS} HTTP clients into a trivial "
          f"HTTP server; {top_cpu * 1000:.3f} ms CPU per request)")
    print()
    ratio = api["end_to_end"] / smtp["end_to_end"]
    print(f"ratio api/smtp herald: {ratio:.2f} (goal {API_GOAL:.2f}: "
          f"{'met' if ratio >= API_GOAL else 'not met'})")
    print(f"ratio api/smtp herald accept: {api['accept'] / smtp['accept']:.2f}")
    print(f"herald api end-to-end / api ceiling: {api['end_to_end'] / top:.0%}")
    print(flush=True)


# -- shaping: reply-driven traffic shaping against a throttling provider -------------------------

def shaping_systems():
    """(name, make(workdir, receiver_port, dns)) for every system of the shaping benchmark."""
    systems = []
    for setting in SHAPING_SETTINGS:
        def herald(workdir, receiver_port, dns, setting=setting):
            return HeraldShaping(HERALD, workdir, receiver_port, setting)
        systems.append((setting.name, herald))
    for name, main_cf in POSTFIX_SHAPING:
        def postfix(workdir, receiver_port, dns, name=name, main_cf=main_cf):
            return PostfixShaping(name, main_cf, workdir, receiver_port, dns.resolv_conf)
        systems.append((name, postfix))
    return systems


def keep_logs(keep_dir, label, system, receiver):
    if not keep_dir:
        return
    target = Path(keep_dir) / re.sub(r"[^A-Za-z0-9.]+", "-", label).strip("-")
    target.mkdir(parents=True, exist_ok=True)
    for path in [*system.logs(), receiver.counts_file]:
        if path.exists():
            shutil.copy(path, target / path.name)


def run_shaping_benchmark(tmp, args):
    """Each chosen system against a fresh receiver, args.runs times (alternating); prints
    each run as it ends, then the medians."""
    workdir = Path(tmp) / "shaping"
    limit = args.limit * BEST_SECONDS
    systems = [(name, make) for name, make in shaping_systems()
               if not args.system or any(part in name for part in args.system)]
    if not systems:
        sys.exit("bench: --system matches none of: " +
                 "; ".join(name for name, _ in shaping_systems()))
    results = {}
    with ExitStack() as stack:
        dns = LoopbackDns(workdir / "dns")
        stack.callback(dns.stop)
        dns.start()
        for run in range(args.runs):
            for index, (name, make) in enumerate(systems):
                rundir = workdir / f"{index}-{run}"
                with ExitStack() as running:
                    receiver = Receiver(rundir / "receiver")
                    running.callback(receiver.stop)
                    receiver.start()
                    system = make(rundir / "system", receiver.port, dns)
                    running.callback(system.stop)
                    system.start()
                    r = measure_shaping(system, receiver, limit)
                keep_logs(args.keep_logs, f"{name}-run{run + 1}", system, receiver)
                results.setdefault(name, []).append(r)
                took = (f"in {r['seconds']:.0f} s ({r['seconds'] / BEST_SECONDS:.2f}x best)"
                        if r["complete"] else f"by the cut at {limit:.0f} s")
                notes = f", {len(r['notes'])} shaping notes" if name.startswith("herald") else ""
                if r["duplicates"]:
                    notes += f", {r['duplicates']} accepted twice"
                print(f"run {run + 1} shaping {name}: {r['delivered']} delivered {took}, "
                      f"421 on {r['share_421']:.1%} of {r['attempts']} attempts, "
                      f"{r['connections']} connections, {r['deferred_logged']} deferrals "
                      f"logged{notes}, injected in {r['inject_seconds']:.0f} s", flush=True)
    print_shaping_report(results, limit, args)


def print_shaping_report(results, limit, args):
    width = max(len(name) for name in results) + 2
    print()
    print(f"load: {SHAPING_MESSAGES} messages of {SHAPING_SIZE} bytes, one recipient each, for "
          f"{DOMAINS} domains whose MX is {FLEET_HOST} (one receiver: {RATE} msg/s per client "
          f"IP, 421 4.7.28 beyond), injected over {INJECT_SESSIONS} SMTP sessions; best "
          f"possible {BEST_SECONDS:.0f} s; runs cut at {limit:.0f} s; {args.runs} run(s), "
          f"medians")
    print(f"{'':{width}}{'delivered':>10}{'time s':>9}{'x best':>9}{'421 share':>11}"
          f"{'attempts':>10}")
    summaries = {}
    for name, runs in results.items():
        delivered = statistics.median(r["delivered"] for r in runs)
        complete = all(r["complete"] for r in runs)
        seconds = statistics.median(r["seconds"] for r in runs)
        share = statistics.median(r["share_421"] for r in runs)
        attempts = statistics.median(r["attempts"] for r in runs)
        summaries[name] = (complete, seconds, share)
        time_text = f"{seconds:.0f}" if complete else f">{limit:.0f}"
        ratio_text = f"{seconds / BEST_SECONDS:.2f}" if complete else f">{args.limit:.2f}"
        print(f"{name:{width}}{delivered:>10.0f}{time_text:>9}{ratio_text:>9}{share:>11.1%}"
              f"{attempts:>10.0f}")
    print(f"{'best possible':{width}}{SHAPING_MESSAGES:>10}{BEST_SECONDS:>9.0f}{1:>9.2f}"
          f"{0:>11.1%}{SHAPING_MESSAGES:>10}")
    print()
    for name, (complete, seconds, share) in summaries.items():
        if not name.startswith("herald"):
            continue
        ratio = seconds / BEST_SECONDS
        met_time = complete and ratio <= SHAPING_GOAL_TIME
        ratio_text = f"{ratio:.2f}x best" if complete else f"not done in {args.limit:g}x best"
        print(f"{name}: {ratio_text} (goal {SHAPING_GOAL_TIME}x: "
              f"{'met' if met_time else 'not met'}), 421 share {share:.1%} (goal "
              f"{SHAPING_GOAL_SHARE:.0%}: {'met' if share < SHAPING_GOAL_SHARE else 'not met'})")
    print(flush=True)


# -- suppression: a list of a million addresses, imported and checked at RCPT ------------------

def suppression_systems(database, access_map):
    """(name, has the list, make(workdir)) for the systems compared at RCPT."""
    return [
        ("herald 1M list", True,
         lambda workdir: HeraldSuppressing(HERALD, "herald 1M list", workdir, database)),
        ("herald empty list", False,
         lambda workdir: HeraldSuppressing(HERALD, "herald empty list", workdir)),
        ("postfix 1M hash", True,
         lambda workdir: PostfixSuppressing("postfix 1M hash", workdir, access_map)),
        ("postfix no map", False,
         lambda workdir: PostfixSuppressing("postfix no map", workdir)),
    ]


def run_suppression_benchmark(tmp, args):
    """The list made; imported by each system args.runs times (alternating, fresh each time);
    the check's query timed directly; then args.runs runs of each system at RCPT (alternating,
    each a fresh start), with the first import's list. Prints as it goes, then the medians."""
    workdir = Path(tmp) / "suppression"
    start = time.monotonic()
    entries = listed()
    csv, access = write_lists(workdir / "list", entries)
    misses = unlisted(RCPT_RECIPIENTS)
    hits = listed_for_sender(entries, RCPT_RECIPIENTS)
    del entries
    print(f"list: {SUPPRESSION_ENTRIES} addresses made in {time.monotonic() - start:.1f} s "
          f"({csv.stat().st_size / 2**20:.0f} MiB of CSV)", flush=True)
    imports = {}
    for run in range(args.runs):
        rundir = workdir / f"import-{run}"
        figures = {}
        figures["herald suppress import"], database = herald_import(HERALD, rundir / "herald",
                                                                    csv)
        figures["postmap hash:"], access_map = postfix_import(rundir, access, "hash")
        figures["postmap btree:"], btree_map = postfix_import(rundir, access, "btree")
        for name, r in figures.items():
            imports.setdefault(name, []).append(r)
            print(f"run {run + 1} import {name}: {r['seconds']:.1f} s, peak RSS "
                  f"{r['rss_kib'] / 1024:.0f} MiB, file {r['bytes'] / 2**20:.0f} MiB", flush=True)
        if run == 0:
            print(f"herald said: {figures['herald suppress import']['said']}", flush=True)
            kept = (database, access_map)
        else:
            shutil.rmtree(rundir)  # 400 MB a run; the first run's list is the one checked
        btree_map.with_suffix(".db").unlink(missing_ok=True)
    database, access_map = kept
    direct = {"as the list does": direct_lookups(database, misses, hits),
              "all in one read transaction": direct_lookups(database, misses, hits,
                                                            one_transaction=True),
              "with mmap_size = 256 MiB": direct_lookups(database, misses, hits,
                                                         ["PRAGMA mmap_size = 268435456"])}
    results = {}
    for run in range(args.runs):
        for name, has_list, make in suppression_systems(database, access_map):
            rundir = workdir / f"{re.sub(r'[^a-z0-9]+', '-', name)}-{run}"
            with ExitStack() as running:
                system = make(rundir)
                running.callback(system.stop)
                system.start()
                r = measure_suppression(system, has_list, misses, hits, args.messages)
            results.setdefault(name, []).append(r)
            hit = (f", pipelined all listed {r['rcpt_hit']:.0f}/s (codes {r['hit_codes']})"
                   if has_list else "")
            print(f"run {run + 1} suppression {name}: smtp-source {r['accept']:.0f} rcpt/s, "
                  f"end-to-end {r['end_to_end']:.0f} rcpt/s, pipelined none listed "
                  f"{r['rcpt_miss']:.0f} rcpt/s (load {r['load_cpu_us']:.1f} us CPU a "
                  f"recipient){hit}, RSS {r['rss_mib']:.0f} MiB", flush=True)
    print_suppression_report(imports, results, direct, args)
    print(f"suppression benchmark: {time.monotonic() - start:.0f} s in all", flush=True)


def print_suppression_report(imports, results, direct, args):
    print()
    print(f"import of {SUPPRESSION_ENTRIES} addresses (the same ones: CSV for Herald, "
          f"`address REJECT reason` for postmap), {args.runs} runs, medians")
    width = max(len(name) for name in imports) + 2
    print(f"{'':{width}}{'seconds':>9}{'peak RSS MiB':>14}{'file MiB':>10}")
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in ("seconds", "rss_kib",
                                                                          "bytes")}
               for name, runs in imports.items()}
    for name, m in medians.items():
        print(f"{name:{width}}{m['seconds']:>9.1f}{m['rss_kib'] / 1024:>14.0f}"
              f"{m['bytes'] / 2**20:>10.0f}")
    herald = medians["herald suppress import"]["seconds"]
    print(f"ratio import herald/postmap hash: {herald / medians['postmap hash:']['seconds']:.2f}, "
          f"herald/postmap btree: {herald / medians['postmap btree:']['seconds']:.2f}; "
          f"herald {herald:.1f} s (goal under 60 s: {'met' if herald < 60 else 'not met'})")
    print()
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]
                      if k != "hit_codes"} for name, runs in results.items()}
    print(f"at RCPT: {SUPPRESSION_SESSIONS} sessions, {RECIPIENTS} recipients a transaction; "
          f"smtp-source -r {RECIPIENTS} -N -m {args.messages} -l 512 (none listed); pipelined "
          f"MAIL + RCPTs + RSET, {RCPT_RECIPIENTS} recipients (none listed / all listed); "
          f"{args.runs} runs, medians, recipients a second")
    width = max(len(name) for name in medians) + 2
    print(f"{'':{width}}{'smtp-source':>12}{'e2e':>8}{'none listed':>13}{'all listed':>12}"
          f"{'RSS MiB':>9}")
    for name, m in medians.items():
        hit = f"{m['rcpt_hit']:>12.0f}" if "rcpt_hit" in m else f"{'':>12}"
        print(f"{name:{width}}{m['accept']:>12.0f}{m['end_to_end']:>8.0f}{m['rcpt_miss']:>13.0f}"
              f"{hit}{m['rss_mib']:>9.0f}")
    print()
    for system, with_list, without in (("herald", "herald 1M list", "herald empty list"),
                                       ("postfix", "postfix 1M hash", "postfix no map")):
        a, b = medians[with_list], medians[without]
        for label, key in (("smtp-source", "accept"), ("pipelined", "rcpt_miss")):
            us = (1 / a[key] - 1 / b[key]) * 1e6
            print(f"{system} {label}: with/without the list {a[key] / b[key]:.2f}, "
                  f"{us:+.1f} us a recipient (wall time, all cores)")
    print(f"refusing listed recipients, herald/postfix: "
          f"{medians['herald 1M list']['rcpt_hit'] / medians['postfix 1M hash']['rcpt_hit']:.2f}")
    print()
    print(f"directly, outside Herald (Python's sqlite3 module, SQLite "
          f"{next(iter(direct.values()))['sqlite']}, one process, the check's query on the "
          f"imported database, {RCPT_RECIPIENTS} checks each; CPU time):")
    for label, d in direct.items():
        print(f"  {label}: not listed {d['miss_check']:.1f} us a check of 2 lookups "
              f"({d['miss_lookup']:.1f} a lookup); listed {d['hit_check']:.1f} us a check of "
              f"{d['hit_lookups_per_check']:.2f} lookups ({d['hit_lookup']:.1f} a lookup); "
              f"a trivial statement (SELECT ?1, ?2) {d['floor']:.1f} us")
    print(flush=True)


# -- the cluster line (issue 21) --------------------------------------------------------------

CLUSTER_GOAL = 1.6  # the two nodes' total rate / one node's


def cluster_run(workdir, messages, nodes):
    """`nodes` Herald nodes (1: local limits; 2: counted in one Redis), each given its share of
    the load by its own smtp-source at once; end-to-end msg/s, and what Redis spent."""
    workdir = Path(workdir)
    with ExitStack() as stack:
        sink = Sink()
        stack.callback(sink.stop)
        sink.start()
        redis = None
        if nodes > 1:
            redis = RedisProcess(workdir / "redis")
            stack.callback(redis.stop)
            redis.start()
        systems = []
        for i in range(nodes):
            sections = RATE_LIMIT + (cluster_section(redis.port, f"node{i}") if redis else "")
            system = HeraldSystem(workdir / f"node{i}", sink.port, sections=sections)
            stack.callback(system.stop)
            system.start()
            systems.append(system)
        if redis:
            for system in systems:
                wait_until(lambda s=system: "is up" in s.mainlog.read_text(errors="replace"), 30,
                           "the node's link to Redis")
            cpu_before, stats_before = redis.cpu_seconds(), redis.command_stats()
        share = messages // nodes
        start = time.monotonic()
        threads = [threading.Thread(target=smtp_source, args=(s.port, share, SESSIONS // nodes))
                   for s in systems]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done = wait_until(lambda: all(s.delivered() >= share for s in systems), 600,
                          "every message at the sink")
        result = {"end_to_end": share * nodes / (done - start)}
        if redis:
            calls, usec = (redis.command_stats().get("evalsha", (0, 0))[i] -
                           stats_before.get("evalsha", (0, 0))[i] for i in (0, 1))
            result["redis_cpu_us"] = (redis.cpu_seconds() - cpu_before) * 1e6 / (share * nodes)
            result["evalsha_us"] = usec / calls if calls else float("nan")
            result["evalsha_calls"] = calls / (share * nodes)
        return result


def run_cluster_benchmark(tmp, args):
    results = {1: [], 2: []}
    for run in range(args.runs):
        for nodes in (1, 2):
            r = cluster_run(Path(tmp) / "cluster" / f"{nodes}-{run}", args.messages, nodes)
            results[nodes].append(r)
            extra = (f", Redis {r['redis_cpu_us']:.0f} us CPU and {r['evalsha_calls']:.2f} "
                     f"EVALSHA a message ({r['evalsha_us']:.1f} us each)" if nodes > 1 else "")
            print(f"run {run + 1} cluster {nodes} node(s): end-to-end {r['end_to_end']:.0f} "
                  f"msg/s{extra}", flush=True)
    one = statistics.median(r["end_to_end"] for r in results[1])
    two = statistics.median(r["end_to_end"] for r in results[2])
    cpu = statistics.median(r["redis_cpu_us"] for r in results[2])
    evalsha = statistics.median(r["evalsha_us"] for r in results[2])
    print()
    print(f"cluster: {args.messages} messages of {SIZE} bytes a run, {SESSIONS} sessions split "
          f"between the nodes, a [[rate_limit]] per sender counted on every message; "
          f"{args.runs} runs, medians")
    print(f"  one node, local limits:          {one:.0f} msg/s")
    print(f"  two nodes, limits in Redis:      {two:.0f} msg/s")
    print(f"ratio cluster/single: {two / one:.2f} (goal {CLUSTER_GOAL}: "
          f"{'met' if two / one >= CLUSTER_GOAL else 'not met'}); Redis' cost a message: "
          f"{cpu:.0f} us of its CPU, {evalsha:.1f} us inside EVALSHA", flush=True)


def check_tools(only):
    tools = ["smtp-source", "smtp-sink"] if only not in ("shaping", "suppression") else []
    if only in (None, "relay", "dkim", "shaping", "suppression"):
        tools += ["postfix"]
    if only == "suppression":
        tools += ["smtp-source", "postmap"]
    if only == "shaping":
        tools += ["unbound", "unbound-checkconf", "unshare"]
    if only in (None, "dkim"):
        tools += ["opendkim", "openssl"]
    if only in (None, "cluster"):
        tools += ["redis-server", "redis-cli"]
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (make deps installs it)")
    if not HERALD.exists():
        sys.exit(f"bench: {HERALD} is missing (make build)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int,
                        help=f"messages a run (default: 20000; suppression: "
                             f"{SUPPRESSION_MESSAGES} of {RECIPIENTS} recipients)")
    parser.add_argument("--runs", type=int,
                        help="runs of each system (default: 3; shaping: 1)")
    parser.add_argument("--only",
                        choices=("relay", "dkim", "api", "cluster", "shaping", "suppression"),
                        help="run one benchmark (default: relay, then dkim, then api, then "
                             "cluster; shaping and suppression only when asked for)")
    parser.add_argument("--system", action="append",
                        help="shaping: only the systems whose names contain this (repeatable)")
    parser.add_argument("--limit", type=float, default=3.0,
                        help="shaping: cut each run at this many times the best time")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="shaping: copy each run's logs and the receiver's counts here")
    args = parser.parse_args()
    if args.runs is None:
        args.runs = 1 if args.only == "shaping" else 3
    if args.messages is None:
        args.messages = SUPPRESSION_MESSAGES if args.only == "suppression" else 20000
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
            if args.only in (None, "api"):
                run_api_benchmark(tmp, args)
            if args.only in (None, "cluster"):
                run_cluster_benchmark(tmp, args)
            if args.only == "shaping":
                run_shaping_benchmark(tmp, args)
            if args.only == "suppression":
                run_suppression_benchmark(tmp, args)
        except NotSigned as e:
            sys.exit(f"bench: DKIM check failed: {e}")
        except ApiLoadFailed as e:
            sys.exit(f"bench: the API load failed: {e}")


if __name__ == "__main__":
    main()
