"""The suppression benchmark's world (bench/run.py --only suppression; issue 18: "1 million
entries: import in under a minute, and a check costs microseconds").

One list of ENTRIES addresses, made for the run (`write_lists`): the same addresses as
Herald's import CSV and as a Postfix access table (`address REJECT reason`). Recipient domains
are a mix: a few big mailbox providers hold most addresses, thousands of small domains the
rest. Local parts are scrambled numbers, so the addresses come in no order, as a real export
does. Each Herald entry has a scope: global ("*") for half, the benchmark's sender domain for
a quarter, another sender domain for the rest (Postfix's access tables have no scopes: its
table holds every address).

Measured:
- import: `herald suppress import` of the CSV into a fresh spool, beside `postmap` of the same
  addresses (hash:, the type Postfix's smtpd looks up below, and btree:): wall time and peak
  RSS of each process (/usr/bin/time's).
- at RCPT, through SMTP, each system with the list and without it (Herald with the imported
  database or an empty one; Postfix with `check_recipient_access hash:` or no restriction);
  every system discards what it accepts (Herald's null transport, Postfix's discard):
  - smtp-source, RECIPIENTS recipients a message (-N: each one new), none of them listed;
  - rcpt_load: transactions of MAIL, RECIPIENTS RCPTs and RSET pipelined (RFC 2920), no
    DATA: the RCPT work alone; once with addresses not on the list (random ones, spread over
    the key space as the list's are) and, for the systems with the list, once with addresses
    taken from it (each one refused: 550 from Herald, 554 from Postfix).
- directly (`direct_lookups`): the query Herald's check runs, on the imported database, from
  Python's sqlite3 module in one process: outside Herald, a cross-check.
"""
import os
import random
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from local_service import free_port, stop_child, wait_port
from postfix_peer import SHARED_MAIN_CF, PostfixPeer

ENTRIES = 1_000_000
SENDER_DOMAIN = "bench.example"
SENDER = f"a@{SENDER_DOMAIN}"
# Scopes of the entries, by share: the sender domain's entries and the global ones both apply
# to the benchmark's mail (docs/events.md: a check for domain D reads D's entries, then "*").
SCOPES = ["*", "*", SENDER_DOMAIN, "shop.example"]
BIG_PROVIDERS = ["gmail.test", "yahoo.test", "outlook.test", "hotmail.test", "icloud.test",
                 "aol.test", "gmx.test", "web.test", "orange.test", "comcast.test"]
BIG_SHARE = 0.6
SMALL_DOMAINS = 20_000
REASONS = ["invalid-recipient: 550 5.1.1 user unknown", "complaint (abuse)",
           "inactive-mailbox: 550 5.2.1 mailbox disabled", "added by admin", "unsubscribed"]
RECIPIENTS = 50         # per transaction
SESSIONS = 20
SMTP_MESSAGES = 1000    # smtp-source's messages a run: 50,000 recipients
RCPT_RECIPIENTS = 100_000  # rcpt_load's recipients a run
SIZE = 512              # smtp-source's message size: the RCPTs are what is measured
SEED = 18

# The check's query, as src/suppression/suppression_list.cpp prepares it.
CHECK_SQL = ("SELECT address, scope, reason, source, created FROM suppression"
             " WHERE scope = ?1 AND address = ?2")


# -- the list --------------------------------------------------------------------------------

def _local_part(i):
    # i times an odd number, modulo 2^40, is a bijection: unique local parts in no order.
    return f"u{(i * 0x9E3779B97F) & 0xFFFFFFFFFF:010x}"


def _domain(rng):
    if rng.random() < BIG_SHARE:
        return rng.choice(BIG_PROVIDERS)
    return f"corp{rng.randrange(SMALL_DOMAINS)}.test"


def listed(n=ENTRIES):
    """[(address, scope, reason)] of the list, the same every run."""
    rng = random.Random(SEED)
    return [(f"{_local_part(i)}@{_domain(rng)}", rng.choice(SCOPES), rng.choice(REASONS))
            for i in range(n)]


def unlisted(n, seed=SEED + 1):
    """n addresses of the list's domains that are not on it: local parts of numbers past it."""
    rng = random.Random(seed)
    return [f"{_local_part(ENTRIES + i)}@{_domain(rng)}" for i in range(n)]


def listed_for_sender(entries, n, seed=SEED + 2):
    """n addresses of the list that suppress mail from SENDER (global or SENDER_DOMAIN's)."""
    rng = random.Random(seed)
    ours = [address for address, scope, _ in entries if scope in ("*", SENDER_DOMAIN)]
    return rng.sample(ours, n)


def write_lists(workdir, entries):
    """The CSV for `herald suppress import` and the source of Postfix's access table."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    csv, access = workdir / "suppression.csv", workdir / "access"
    with open(csv, "w") as out:
        out.write("address,domain,reason\n")
        out.writelines(f"{address},{scope},{reason}\n" for address, scope, reason in entries)
    with open(access, "w") as out:
        out.writelines(f"{address} REJECT suppressed: {reason}\n" for address, _, reason in entries)
    return csv, access


# -- the imports -----------------------------------------------------------------------------

def run_measured(argv, cwd=None):
    """Runs argv to its end: (seconds, peak RSS in KiB of that process, its stdout). Raises if
    it fails. The peak is /usr/bin/time's: a child forked by this process would carry this
    process's size (the million entries) in its own rusage."""
    with tempfile.NamedTemporaryFile(prefix="herald-bench-rss-") as rss_file:
        start = time.monotonic()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *argv],
                                cwd=cwd, capture_output=True, text=True)
        seconds = time.monotonic() - start
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} exited with {result.returncode}: "
                               f"{result.stderr.strip()}")
        rss_kib = int(Path(rss_file.name).read_text().split()[-1])
    return seconds, rss_kib, result.stdout.strip()


def herald_import(herald, workdir, csv):
    """`herald suppress import` of csv into a fresh spool: (figures, the database's path)."""
    workdir = Path(workdir)
    (workdir / "var" / "spool").mkdir(parents=True)
    (workdir / "herald.toml").write_text(herald_config(free_port()))
    seconds, rss, said = run_measured(
        [str(herald), "--config", "herald.toml", "suppress", "import", str(csv)], cwd=workdir)
    database = workdir / "var" / "spool" / "suppression.db"
    return {"seconds": seconds, "rss_kib": rss, "said": said,
            "bytes": database.stat().st_size}, database


def postfix_import(workdir, access, kind):
    """postmap kind:access (kind "hash" or "btree") in workdir: (figures, the map's path
    without its .db)."""
    config = Path(workdir) / f"postmap-{kind}"
    config.mkdir(parents=True)
    (config / "main.cf").write_text(SHARED_MAIN_CF.read_text())
    # Each kind writes access.db: a copy of the source per kind keeps both.
    source = config / access.name
    os.link(access, source)
    seconds, rss, _ = run_measured(["postmap", "-c", str(config), f"{kind}:{source}"])
    return {"seconds": seconds, "rss_kib": rss,
            "bytes": source.with_suffix(".db").stat().st_size}, source


# -- the systems -----------------------------------------------------------------------------

def herald_config(port, database=None):
    """Relay from loopback, everything to a null transport; the list at `database` (the
    default, an empty one in the fresh spool, without it). Refusals do not end a session."""
    suppression = f'\n[suppression]\ndatabase = "{database}"\n' if database else ""
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
max_errors = 1000000

[[transport]]
name = "discard"
type = "null"

[[route]]
sender = "*"
transport = "discard"

[preflight]
mode = "off"

[dns]
servers = ["127.0.0.1:{free_port()}"]
""" + suppression


class HeraldSuppressing:
    def __init__(self, herald, name, workdir, database=None):
        self.herald = herald
        self.name = name
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.mainlog = self.dir / "var" / "log" / "mainlog"
        self.proc = None
        (self.dir / "herald.toml").write_text(herald_config(self.port, database))

    def start(self):
        self.proc = subprocess.Popen([str(self.herald), "serve", "--allow-root", "--foreground",
                                      "--config", "herald.toml"], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def delivered(self):
        try:
            return self.mainlog.read_bytes().count(b" => ")
        except FileNotFoundError:
            return 0

    def rss_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0])

    def stop(self):
        stop_child(self.proc)


class PostfixSuppressing:
    """Postfix discarding what it accepts; with access_map, checking every recipient against
    it first. Refusals and RSETs do not slow or end a session (smtpd's error and junk command
    limits raised, no error sleep), as Herald's max_errors is raised."""

    def __init__(self, name, workdir, access_map=None):
        self.name = name
        self.port = free_port()
        # in_flow_delay 0: smtpd's cleanup takes a token per message and qmgr gives one back
        # per delivery; the RSETs of rcpt_load open messages that are never delivered, and
        # with the default (1s) every transaction would wait a second once the tokens are gone.
        main_cf = ("default_transport = discard:bench\n"
                   "in_flow_delay = 0\n"
                   "relay_transport = discard:bench\n"
                   "smtpd_error_sleep_time = 0\n"
                   "smtpd_soft_error_limit = 1000000\n"
                   "smtpd_hard_error_limit = 1000000\n"
                   "smtpd_junk_command_limit = 1000000\n")
        if access_map:
            main_cf += f"smtpd_recipient_restrictions = check_recipient_access hash:{access_map}\n"
        self.peer = PostfixPeer(workdir, self.port, None, main_cf=main_cf)

    def start(self):
        self.peer.start()
        wait_port(self.port)

    def delivered(self):
        return self.peer.sent()

    def rss_kib(self):
        return self.peer.rss_kib()

    def stop(self):
        self.peer.stop()


# -- the loads -------------------------------------------------------------------------------

def smtp_source(port, messages=SMTP_MESSAGES):
    """smtp-source, RECIPIENTS new recipients a message (-N numbers them on: 1b@, 2b@, ...,
    none on the list): seconds until it is done."""
    start = time.monotonic()
    subprocess.run(["smtp-source", "-s", str(SESSIONS), "-m", str(messages),
                    "-r", str(RECIPIENTS), "-N", "-l", str(SIZE), "-f", SENDER,
                    "-t", "b@sink.example", f"127.0.0.1:{port}"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def wait_delivered(system, total, deadline=300):
    """Until the system's log shows total deliveries: the time it did, or None at the
    deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if system.delivered() >= total:
            return time.monotonic()
        time.sleep(0.2)
    return None


class _Replies:
    """SMTP replies off one socket, one at a time (the last line of a multi-line one)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end < 0:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                self.buf += chunk
                continue
            line, self.buf = self.buf[:end], self.buf[end + 2:]
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), line


def rcpt_load(port, addresses, per_transaction=RECIPIENTS, sessions=SESSIONS):
    """The addresses as RCPTs, per_transaction to a transaction (MAIL FROM, the RCPTs, RSET,
    sent in one write: RFC 2920 pipelining, which both systems offer), over `sessions`
    connections: (seconds, {RCPT reply code: count}, CPU seconds this process used). The
    transactions are made before the clock starts, so that the load generator does little more
    than write and read: it shares the cores with the system."""
    transactions = []
    for at in range(0, len(addresses), per_transaction):
        batch = addresses[at:at + per_transaction]
        transactions.append((len(batch), (f"MAIL FROM:<{SENDER}>\r\n" +
                                          "".join(f"RCPT TO:<{a}>\r\n" for a in batch) +
                                          "RSET\r\n").encode()))
    lock = threading.Lock()
    codes = {}
    failures = []

    def session():
        counted = {}
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                replies = _Replies(sock)
                replies.next()  # the greeting
                sock.sendall(b"EHLO load.bench.example\r\n")
                if replies.next()[0] != 250:
                    raise RuntimeError("EHLO refused")
                while True:
                    with lock:
                        if not transactions or failures:
                            break
                        count, commands = transactions.pop()
                    sock.sendall(commands)
                    code, line = replies.next()
                    if code != 250:
                        raise RuntimeError(f"MAIL FROM refused: {line.decode(errors='replace')}")
                    for _ in range(count):
                        code, _line = replies.next()
                        counted[code] = counted.get(code, 0) + 1
                    code, line = replies.next()
                    if code != 250:
                        raise RuntimeError(f"RSET refused: {line.decode(errors='replace')}")
                sock.sendall(b"QUIT\r\n")
        except (OSError, RuntimeError) as e:
            failures.append(f"{type(e).__name__}: {e}")
        with lock:
            for code, n in counted.items():
                codes[code] = codes.get(code, 0) + n

    threads = [threading.Thread(target=session, daemon=True) for _ in range(sessions)]
    cpu, start = time.process_time(), time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    if failures:
        raise RuntimeError(f"the RCPT load failed: {failures[0]}")
    return seconds, codes, cpu


def measure(system, has_list, misses, hits, messages=SMTP_MESSAGES):
    """One run of the started system: smtp-source (waiting until all is discarded), then
    rcpt_load of misses, then (with the list) of hits. Figures in recipients a second."""
    total = messages * RECIPIENTS
    start = time.monotonic()
    seconds = smtp_source(system.port, messages)
    done = wait_delivered(system, total)
    r = {"accept": total / seconds,
         "end_to_end": total / (done - start) if done else float("nan"),
         "rss_mib": system.rss_kib() / 1024}
    seconds, codes, cpu = rcpt_load(system.port, misses)
    if codes.get(250, 0) != len(misses):
        raise RuntimeError(f"{system.name}: addresses not on the list were refused: {codes}")
    r["rcpt_miss"] = len(misses) / seconds
    r["load_cpu_us"] = cpu / len(misses) * 1e6
    if has_list:
        seconds, codes, _ = rcpt_load(system.port, hits)
        refused = sum(n for code, n in codes.items() if code >= 500)
        if refused != len(hits):
            raise RuntimeError(f"{system.name}: listed addresses were accepted: {codes}")
        r["rcpt_hit"] = len(hits) / seconds
        r["hit_codes"] = sorted(codes)
    return r


# -- outside Herald --------------------------------------------------------------------------

def direct_lookups(database, misses, hits, pragmas=(), one_transaction=False):
    """The check's query on the database from Python's sqlite3 in one process, with the
    settings the list uses (WAL, synchronous=NORMAL, SQLite's default cache, each statement in
    its own read transaction): as check() does, SENDER_DOMAIN's entry first, then the global
    one when there is none. Returns microseconds of this process's CPU time (user and system:
    the locking and reading syscalls count; wall time would count the other loads of a shared
    machine) a lookup (misses: two each) and a check, and those of a trivial statement
    (`SELECT ?1, ?2`: Python's call and SQLite's step, no table), to subtract. Not the list's
    settings, to see what they cost: `pragmas`, more settings; one_transaction, every lookup in
    one read transaction."""
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        for pragma in pragmas:
            db.execute(pragma)
        if one_transaction:
            db.execute("BEGIN")  # deferred: the first SELECT takes the read lock, kept to COMMIT

        def check(address):
            found = db.execute(CHECK_SQL, (SENDER_DOMAIN, address)).fetchone()
            lookups = 1
            if found is None:
                found = db.execute(CHECK_SQL, ("*", address)).fetchone()
                lookups = 2
            return found, lookups

        def timed(addresses, expect_found):
            lookups = 0
            start = time.process_time()
            for address in addresses:
                found, n = check(address)
                lookups += n
                if (found is not None) != expect_found:
                    raise RuntimeError(f"direct lookup of {address}: found {found}")
            seconds = time.process_time() - start
            return seconds / len(addresses) * 1e6, seconds / lookups * 1e6, lookups

        floor_start = time.process_time()
        for address in misses:
            db.execute("SELECT ?1, ?2", (SENDER_DOMAIN, address)).fetchone()
        floor = (time.process_time() - floor_start) / len(misses) * 1e6
        timed(hits[:1000], True)  # the statement prepared, the top of the b-tree read
        miss_check, miss_lookup, _ = timed(misses, False)
        hit_check, hit_lookup, hit_lookups = timed(hits, True)
        if one_transaction:
            db.execute("COMMIT")
        return {"floor": floor, "miss_check": miss_check, "miss_lookup": miss_lookup,
                "hit_check": hit_check, "hit_lookup": hit_lookup,
                "hit_lookups_per_check": hit_lookups / len(hits),
                "sqlite": sqlite3.sqlite_version}
    finally:
        db.close()
