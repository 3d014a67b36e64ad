"""The shaping benchmark's world (bench/run.py --only shaping): one mailbox provider, "bigmail",
whose MX fleet is one throttling receiver (throttling_receiver.py: 20 messages a second per
client IP, `421 4.7.28 ... rate limited` beyond), 500 customer domains whose MX it is, served
by unbound on loopback, and 5,000 messages, one recipient each, spread over the domains.

Herald sends in MX mode from source_address 127.0.0.2 with a [[provider]] for the fleet and
a [[shaping_rule]] for the 421 4.7.28; Postfix from smtp_bind_address 127.0.0.2, looking up
the same MX records through the same unbound (each domain its own destination, as Postfix
sees them). Both keep their default retry schedules. The figures: the time until the last of
the 5,000 is accepted, against the best possible (5,000 / 20 = 250 s), and the share of the
delivery attempts that drew a 421 (the receiver's counts)."""
import json
import smtplib
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from local_service import free_port, stop_child, wait_port
from postfix_peer import PostfixPeer

HERE = Path(__file__).resolve().parent
MESSAGES = 5000
DOMAINS = 500
RATE = 20  # the receiver's messages a second per client IP
BEST_SECONDS = MESSAGES / RATE
PROVIDER = "bigmail"
FLEET_HOST = "mx1.fleet.bigmail.test"
FLEET_IP = "127.0.0.10"
SOURCE_IP = "127.0.0.2"
# Postfix's resolver (the C library's) asks port 53 of the servers in /etc/resolv.conf and
# nothing else: unbound listens on port 53 of a loopback address nothing else uses.
DNS_IP = "127.0.0.153"
SENDER = "bench@sender.test"
INJECT_SESSIONS = 10
SIZE = 2048


def domain(n):
    return f"customer{n:03d}.test"


def recipient(i):
    return f"user{i}@{domain(i % DOMAINS)}"


# -- DNS -------------------------------------------------------------------------------------

def _dns_query(name, qtype=1, timeout=0.5):
    """The rcode of one UDP query (RD set) to DNS_IP:53, or None without an answer."""
    ident = 0x4242
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + \
        struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(packet, (DNS_IP, 53))
            reply, _ = s.recvfrom(65535)
        except OSError:
            return None
    if len(reply) < 12 or struct.unpack("!H", reply[:2])[0] != ident:
        return None
    return struct.unpack("!H", reply[2:4])[0] & 0x000F


class LoopbackDns:
    """unbound on DNS_IP:53 answering the scenario's zone (as tests/integration/dns_server.py
    runs it): every domain's MX is FLEET_HOST, FLEET_HOST is FLEET_IP; anything else is
    refused. Also the resolv.conf that points Postfix at it."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.address = f"{DNS_IP}:53"
        self.resolv_conf = self.dir / "resolv.conf"
        self.resolv_conf.write_text(f"nameserver {DNS_IP}\noptions attempts:1 timeout:2\n")
        self.proc = None
        records = [f"{domain(n)}. MX 10 {FLEET_HOST}." for n in range(DOMAINS)]
        records += [f"{FLEET_HOST}. A {FLEET_IP}",
                    # where bounces would go: nothing listens there
                    "sender.test. MX 10 mx.sender.test.", "mx.sender.test. A 127.0.0.11"]
        lines = [
            "server:",
            f'    directory: "{self.dir}"',
            '    chroot: ""',
            '    username: ""',
            '    pidfile: ""',
            "    do-daemonize: no",
            "    use-syslog: no",
            f'    logfile: "{self.dir / "unbound.log"}"',
            "    verbosity: 1",
            "    num-threads: 1",
            f"    interface: {DNS_IP}@53",
            "    do-ip4: yes",
            "    do-ip6: no",
            "    so-reuseport: no",
            "    access-control: 127.0.0.0/8 allow",
            '    module-config: "iterator"',
            "    do-not-query-localhost: yes",
            "    minimal-responses: no",
            '    local-zone: "." refuse',
            '    local-zone: "test." static',
        ] + [f'    local-data: "{record}"' for record in records] + [
            "remote-control:", "    control-enable: no", ""]
        self.config = self.dir / "unbound.conf"
        self.config.write_text("\n".join(lines))

    def start(self):
        subprocess.run(["unbound-checkconf", str(self.config)], check=True,
                       stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen(["unbound", "-d", "-c", str(self.config)], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 20
        while _dns_query(FLEET_HOST) != 0:
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"unbound did not answer on {self.address} "
                                   f"(is port 53 of {DNS_IP} taken?)")
            time.sleep(0.05)

    def stop(self):
        stop_child(self.proc, timeout=10)


# -- the receiver ----------------------------------------------------------------------------

class Receiver:
    """throttling_receiver.py on FLEET_IP, a fresh one (fresh counts) for each run."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind((FLEET_IP, 0))
            self.port = s.getsockname()[1]
        self.counts_file = self.dir / "receiver.json"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "throttling_receiver.py"), "--listen",
             f"{FLEET_IP}:{self.port}", "--rate", str(RATE), "--hostname", FLEET_HOST,
             "--counts", str(self.counts_file)], stdout=subprocess.DEVNULL)
        end = time.monotonic() + 20
        while not self.counts_file.exists():  # written once it listens
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError("the throttling receiver did not start")
            time.sleep(0.05)

    def counts(self):
        return json.loads(self.counts_file.read_text())

    def stop(self):
        stop_child(self.proc, timeout=10)


# -- the load --------------------------------------------------------------------------------

def inject(port, messages=MESSAGES, sessions=INJECT_SESSIONS):
    """messages messages, message i to recipient(i), over `sessions` SMTP sessions to
    127.0.0.1:port; seconds taken. Every one must be accepted."""
    lock = threading.Lock()
    next_index = [0]
    failures = []
    filler = ("x" * 76 + "\r\n") * ((SIZE - 200) // 78)

    def take():
        with lock:
            if next_index[0] >= messages or failures:
                return None
            next_index[0] += 1
            return next_index[0] - 1

    def session():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                client.ehlo("load.bench.example")
                while (i := take()) is not None:
                    rcpt = recipient(i)
                    body = (f"From: {SENDER}\r\nTo: {rcpt}\r\nSubject: shaping {i}\r\n"
                            f"Message-ID: <shaping-{i}@sender.test>\r\n\r\n{filler}")
                    client.sendmail(SENDER, [rcpt], body.encode())
        except (OSError, smtplib.SMTPException) as e:
            failures.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=session, daemon=True) for _ in range(sessions)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"injecting failed: {failures[0]}")
    return time.monotonic() - start


# -- the systems -----------------------------------------------------------------------------

@dataclass
class HeraldSetting:
    """One way to configure Herald's reaction: the rule's factor, [shaping]'s quiet_period and
    recovery_step, and more keys of the [[provider]] table (provider_keys, TOML lines)."""
    factor: float
    quiet_period: str
    recovery_step: float
    provider_keys: str = ""

    @property
    def name(self):
        extra = f", {self.provider_keys.strip()}" if self.provider_keys else ""
        return (f"herald factor {self.factor:g}, quiet {self.quiet_period}, "
                f"step {self.recovery_step:g}{extra}")


def herald_shaping_config(port, receiver_port, setting):
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

# MX mode: the recipient domains' MX hosts, on the receiver's port. The default retry
# schedule ([queue] retry): throttled mail must come back at its slot by shaping alone.
[[transport]]
name = "mx"
type = "smtp"
port = {receiver_port}
tls = "none"
source_address = "{SOURCE_IP}"

[[route]]
sender = "*"
transport = "mx"

[preflight]
mode = "off"

[dns]
servers = ["{DNS_IP}:53"]

[[provider]]
name = "{PROVIDER}"
mx = ["*.fleet.bigmail.test"]
{setting.provider_keys}
[[shaping_rule]]
name = "bigmail-rate"
provider = "{PROVIDER}"
code = 421
enhanced_code = "4.7.28"
action = "reduce_rate"
factor = {setting.factor}

[shaping]
quiet_period = "{setting.quiet_period}"
recovery_step = {setting.recovery_step}
"""


class HeraldShaping:
    def __init__(self, herald, workdir, receiver_port, setting):
        self.herald = herald
        self.name = setting.name
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.mainlog = self.dir / "var" / "log" / "mainlog"
        self.proc = None
        (self.dir / "herald.toml").write_text(
            herald_shaping_config(self.port, receiver_port, setting))

    def start(self):
        self.proc = subprocess.Popen([str(self.herald), "serve", "--allow-root", "--foreground",
                                      "--config", "herald.toml"], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def log_text(self):
        try:
            return self.mainlog.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def summary(self):
        """What the system's own log says: deliveries, deferrals, shaping's notes."""
        lines = self.log_text().splitlines()
        notes = [line for line in lines if "shaping: " in line]
        return {"delivered_logged": sum(" => " in line for line in lines),
                "deferred_logged": sum(" == " in line for line in lines),
                "notes": notes}

    def logs(self):
        return [self.mainlog, self.dir / "herald.toml"]

    def stop(self):
        stop_child(self.proc)


class PostfixShaping:
    """Postfix delivering to the MX hosts through the loopback DNS, from SOURCE_IP, with
    main_cf added to its main.cf."""

    def __init__(self, name, main_cf, workdir, receiver_port, resolv_conf):
        self.name = name
        self.port = free_port()
        self.peer = PostfixPeer(
            workdir, self.port, None, resolv_conf=resolv_conf,
            main_cf=(f"smtp_bind_address = {SOURCE_IP}\n"
                     f"smtp_tcp_port = {receiver_port}\n"
                     "smtp_tls_security_level = none\n" + main_cf))

    def start(self):
        self.peer.start()
        wait_port(self.port)

    def summary(self):
        text = self.peer.log.read_text(errors="replace") if self.peer.log.exists() else ""
        return {"delivered_logged": text.count("status=sent"),
                "deferred_logged": text.count("status=deferred"), "notes": []}

    def logs(self):
        return [self.peer.log, self.peer.config_dir / "main.cf"]

    def stop(self):
        self.peer.stop()


# -- one run ---------------------------------------------------------------------------------

def measure(system, receiver, limit_seconds):
    """Injects the load into the started system and waits until the receiver has accepted
    every message, or limit_seconds after the start: the figures of the run."""
    start = time.time()
    inject_seconds = inject(system.port)
    end = start + limit_seconds
    while True:
        counts = receiver.counts()
        if counts["distinct_accepted"] >= MESSAGES or time.time() >= end:
            break
        time.sleep(0.25)
    complete = counts["distinct_accepted"] >= MESSAGES
    attempts = counts["accepted"] + counts["rate_limited"]
    return {
        "delivered": counts["distinct_accepted"],
        "complete": complete,
        "seconds": (counts["last_new_accept"] - start) if complete else time.time() - start,
        "inject_seconds": inject_seconds,
        "attempts": attempts,
        "rate_limited": counts["rate_limited"],
        "share_421": counts["rate_limited"] / attempts if attempts else 0.0,
        "duplicates": counts["accepted"] - counts["distinct_accepted"],
        "connections": counts["connections"],
        "per_second": counts["per_second"],
        **system.summary(),
    }
