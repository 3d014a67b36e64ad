"""DNSSEC for delivery tests: zones signed with ldns-signzone (ldnsutils) and served by NSD on a
free 127.0.0.1 port, started as a child process (no daemon, no chroot, no privilege drop) with
its own config in the test's directory and stopped by its PID.

    zones = [Zone("dane.test.", ["mx A 127.0.0.2", ...]),        # signed, anchored
             Zone("plain.test.", [...], signed=False)]            # insecure: no signature
    server = Nsd(tmp_path / "nsd", zones).start()
    herald config: dns = {"servers": [server.address],
                          "trust_anchor": str(write_trust_anchors(path, zones))}

Records are zone-file lines relative to the zone's origin ("mx A 127.0.0.2",
"_25._tcp.mx TLSA 3 1 1 ab..."). A signed zone's own DNSKEY is its trust anchor, as the root
key is in production; `Zone(..., anchor="other")` anchors it with a key that did not sign it,
so every answer from it is bogus. `corrupt_signature(zone, "TLSA")` spoils the signatures of
one type only.
"""
import subprocess
from pathlib import Path

from dns_server import check_config, free_udp_and_tcp_port, launch, read_logs, stop_process

NSD = "/usr/sbin/nsd"


def _run(*args, cwd=None):
    return subprocess.run(list(args), check=True, capture_output=True, text=True,
                          cwd=cwd).stdout.strip()


class Zone:
    def __init__(self, origin, records, signed=True, anchor="own"):
        self.origin = origin if origin.endswith(".") else origin + "."
        self.records = list(records)
        self.signed = signed
        self.anchor = anchor
        self.file = None          # the zone file NSD serves, once written
        self.trust_anchor = ""    # DNSKEY lines, for a signed zone

    def text(self):
        head = [f"$ORIGIN {self.origin}", "$TTL 60",
                f"@ SOA ns.{self.origin} hostmaster.{self.origin} 1 3600 600 86400 60",
                f"@ NS ns.{self.origin}", "ns A 127.0.0.1"]
        return "\n".join(head + self.records) + "\n"

    def write(self, directory):
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        plain = d / f"{self.origin}zone"
        plain.write_text(self.text())
        if not self.signed:
            self.file = plain
            return self
        key = self._new_key(d)
        _run("ldns-signzone", "-o", self.origin, "-f", f"{plain}.signed", str(plain), key, cwd=d)
        self.file = Path(f"{plain}.signed")
        anchor_key = key if self.anchor == "own" else self._new_key(d)
        self.trust_anchor = (d / f"{anchor_key}.key").read_text()
        return self

    def _new_key(self, directory):
        # One key signs all (a KSK acting as ZSK): enough for validation.
        return _run("ldns-keygen", "-a", "ECDSAP256SHA256", "-k", self.origin, cwd=directory)


def corrupt_signature(zone, rrtype):
    """Spoils the RRSIG over `rrtype` records in the signed zone's file: those answers turn
    bogus while the rest of the zone still validates."""
    lines = []
    for line in zone.file.read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[3] == "RRSIG" and fields[4] == rrtype:
            signature = fields[-1]
            fields[-1] = ("B" if signature[0] != "B" else "C") + signature[1:]
            line = "\t".join(fields)
        lines.append(line)
    zone.file.write_text("\n".join(lines) + "\n")


def write_trust_anchors(path, zones):
    path = Path(path)
    path.write_text("".join(z.trust_anchor for z in zones if z.signed))
    return path


class Nsd:
    def __init__(self, directory, zones):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.zones = list(zones)
        self.port = free_udp_and_tcp_port()
        self.address = f"127.0.0.1:{self.port}"
        self.config_path = self.dir / "nsd.conf"
        self.log_path = self.dir / "nsd.log"
        self.proc = None

    def config_text(self):
        d = self.dir
        lines = [
            "server:",
            f"    ip-address: 127.0.0.1@{self.port}",
            f"    port: {self.port}",
            '    username: ""',
            '    chroot: ""',
            f'    zonesdir: "{d}"',
            '    database: ""',
            f'    zonelistfile: "{d}/zone.list"',
            f'    xfrdfile: "{d}/xfrd.state"',
            f'    xfrdir: "{d}"',
            f'    pidfile: "{d}/nsd.pid"',
            f'    logfile: "{self.log_path}"',
            "    server-count: 1",
            "    do-ip6: no",
            "    verbosity: 1",
            "remote-control:",
            "    control-enable: no",
        ]
        for zone in self.zones:
            lines += ["zone:", f"    name: {zone.origin}", f'    zonefile: "{zone.file}"']
        return "\n".join(lines) + "\n"

    def start(self):
        assert self.proc is None, "already running"
        for zone in self.zones:
            if zone.file is None:
                zone.write(self.dir)
        self.config_path.write_text(self.config_text())
        check_config(["nsd-checkconf", str(self.config_path)], self.config_path)
        return launch(self, [NSD, "-d", "-c", str(self.config_path)], "nsd",
                      self.zones[0].origin)

    def logs(self):
        return read_logs(self.dir / "nsd.stderr", self.log_path)

    def stop(self):
        return stop_process(self)
