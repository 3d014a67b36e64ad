"""A real DNS server for delivery tests: unbound on a free 127.0.0.1 port, serving test zones
from local-data, started as a child process (no daemon, no chroot, no privilege drop) with
its own config in the test's directory and stopped by its PID.

    server = DnsServer(tmp_path / "dns", [
        "one.test. MX 10 mx1.one.test.",
        "mx1.one.test. A 127.0.0.2",
    ]).start()
    herald config: dns = {"servers": [server.address]}     # "127.0.0.1:PORT"

Records are zone-file lines "NAME [TTL] TYPE RDATA" (unbound's local-data syntax). Every
name under the zones (default: "test.") that has no record is NXDOMAIN; a name with records
of other types only is NODATA ("local-zone: ... static").
"""
import random
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from ports import free_port_for

UNBOUND = "/usr/sbin/unbound"
START_DEADLINE = 30.0

# RFC 1035 3.2.2 and RFC 3596.
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
RCODE_NXDOMAIN = 3


def free_udp_and_tcp_port():
    """A 127.0.0.1 port free for both UDP and TCP a moment ago."""
    return free_port_for((socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
                         (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1"))


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def _skip_name(packet, pos):
    while True:
        length = packet[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + length


def _read_name(packet, pos, depth=0):
    labels = []
    while True:
        length = packet[pos]
        if length == 0:
            return ".".join(labels) + "."
        if length & 0xC0 == 0xC0:
            pointer = ((length & 0x3F) << 8) | packet[pos + 1]
            assert depth < 20, "DNS compression loop"
            rest = _read_name(packet, pointer, depth + 1)
            return ".".join(labels + [rest.rstrip(".")]) + "." if labels else rest
        labels.append(packet[pos + 1:pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length


def query(address, name, qtype="A", timeout=2.0):
    """One UDP query (RD set) to "ip:port". Returns (rcode, [rdata as text, ...]) for the
    answers of the asked type: A/AAAA as addresses, MX as "PREF HOST.", other types as hex."""
    host, port = address.rsplit(":", 1)
    ident = random.randrange(65536)
    code = QTYPES[qtype]
    packet = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", code, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (host, int(port)))
        while True:
            reply, _ = s.recvfrom(65535)
            if len(reply) >= 12 and struct.unpack("!H", reply[:2])[0] == ident:
                break
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", reply[:12])
    pos = 12
    for _ in range(qd):
        pos = _skip_name(reply, pos) + 4
    answers = []
    for _ in range(an):
        pos = _skip_name(reply, pos)
        rtype, _, _, rdlength = struct.unpack("!HHIH", reply[pos:pos + 10])
        pos += 10
        rdata = reply[pos:pos + rdlength]
        if rtype == code:
            if rtype == QTYPES["A"]:
                answers.append(socket.inet_ntop(socket.AF_INET, rdata))
            elif rtype == QTYPES["AAAA"]:
                answers.append(socket.inet_ntop(socket.AF_INET6, rdata))
            elif rtype == QTYPES["MX"]:
                pref = struct.unpack("!H", rdata[:2])[0]
                answers.append(f"{pref} {_read_name(reply, pos + 2)}")
            else:
                answers.append(rdata.hex())
        pos += rdlength
    return flags & 0x000F, answers


def _quoted(record):
    # unbound's config quotes: a record holding double quotes (TXT) goes in single quotes.
    return f"'{record}'" if '"' in record else f'"{record}"'


class DnsServer:
    """unbound serving `records` (zone-file lines) authoritatively for `zones`."""

    def __init__(self, directory, records=(), zones=("test.",)):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.records = list(records)
        self.zones = list(zones)
        self.port = free_udp_and_tcp_port()
        self.address = f"127.0.0.1:{self.port}"
        self.config_path = self.dir / "unbound.conf"
        self.log_path = self.dir / "unbound.log"
        self.proc = None

    def config_text(self):
        lines = [
            "server:",
            f'    directory: "{self.dir}"',
            '    chroot: ""',
            '    username: ""',
            '    pidfile: ""',
            "    do-daemonize: no",
            "    use-syslog: no",
            f'    logfile: "{self.log_path}"',
            "    verbosity: 1",
            "    num-threads: 1",
            f"    interface: 127.0.0.1@{self.port}",
            f"    port: {self.port}",
            "    do-ip4: yes",
            "    do-ip6: no",
            "    do-udp: yes",
            "    do-tcp: yes",
            "    so-reuseport: no",
            "    access-control: 127.0.0.0/8 allow",
            # Only the local zones are answered: no recursion to the outside world, and no
            # DNSSEC validation (the test zones are unsigned, and there is no network).
            '    module-config: "iterator"',
            "    do-not-query-localhost: yes",
            "    harden-glue: yes",
            "    minimal-responses: no",
            "    cache-max-ttl: 1",
            "    cache-max-negative-ttl: 1",
            '    local-zone: "." refuse',
        ]
        lines += [f'    local-zone: "{zone}" static' for zone in self.zones]
        lines += [f"    local-data: {_quoted(record)}" for record in self.records]
        lines += ["remote-control:", "    control-enable: no", ""]
        return "\n".join(lines)

    def start(self):
        assert self.proc is None, "already running"
        self.config_path.write_text(self.config_text())
        check_config(["unbound-checkconf", str(self.config_path)], self.config_path)
        return launch(self, [UNBOUND, "-d", "-c", str(self.config_path)], "unbound",
                      self.zones[0])

    def logs(self):
        return read_logs(self.dir / "unbound.stderr", self.log_path)

    def stop(self):
        return stop_process(self)


def check_config(command, path):
    check = subprocess.run(command, capture_output=True, text=True)
    assert check.returncode == 0, f"{command[0]} rejected the config:\n{check.stdout}" \
        f"{check.stderr}\n{Path(path).read_text()}"


def launch(server, argv, name, probe):
    """Starts `argv` as `server.proc` (output to <dir>/<name>.stderr) and waits until
    `server.address` answers an SOA query for `probe`. Returns `server`."""
    stderr = open(server.dir / f"{name}.stderr", "wb")
    with stderr:
        server.proc = subprocess.Popen(argv, cwd=server.dir, stdin=subprocess.DEVNULL,
                                       stdout=stderr, stderr=stderr)
    deadline = time.monotonic() + START_DEADLINE
    while True:
        if server.proc.poll() is not None:
            code, server.proc = server.proc.returncode, None
            raise AssertionError(f"{name} exited with {code} at start-up:\n{server.logs()}")
        try:
            rcode, _ = query(server.address, probe, "SOA", timeout=0.5)
            if rcode in (0, RCODE_NXDOMAIN):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process(server)
            raise AssertionError(f"{name} did not answer in time:\n{server.logs()}")
        time.sleep(0.05)


def read_logs(*paths):
    return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())


def stop_process(server):
    """SIGTERM to `server.proc` (started by the test, so its PID is known); its exit code."""
    if server.proc is None:
        return None
    proc, server.proc = server.proc, None
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


@pytest.fixture
def dns_zone(tmp_path):
    """dns_zone(records, zones=("test.",)) -> "127.0.0.1:PORT" of an unbound serving them
    (for herald's [dns] servers). Stopped at teardown."""
    servers = []

    def start(records, zones=("test.",)):
        server = DnsServer(tmp_path / f"dns{len(servers)}", records, zones)
        servers.append(server)
        return server.start().address

    yield start
    for server in servers:
        server.stop()
