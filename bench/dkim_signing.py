"""The DKIM side of the benchmark: one 2048-bit RSA key that Herald and OpenDKIM both sign
with, OpenDKIM as Postfix's milter, the check that what reached the sink is signed with that
key, and the ceiling: what the CPU can sign at all (openssl speed).

(Not named dkim.py: that would hide python3-dkim's module, which the check uses.)"""
import base64
import os
import re
import subprocess
from pathlib import Path

import dkim
import dkim.util

from local_service import free_port, stop_child, wait_port

RSA_BITS = 2048

# OpenDKIM refuses a config or key file with a directory above it that others can write to,
# as /tmp is: those live in a private directory under /run (root's, mode 0755) instead.
PRIVATE_DIR_PARENT = "/run"


class DkimKey:
    """A fresh RSA key for selector._domainkey.domain, made with openssl so that neither system
    under test makes the key the other has to read. directory is private (see
    PRIVATE_DIR_PARENT); the key is mode 0600, as OpenDKIM wants."""

    def __init__(self, directory, domain, selector):
        self.directory = Path(directory)
        self.domain = domain
        self.selector = selector
        self.private_key = self.directory / f"{domain}.{selector}.pem"
        pem = _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{RSA_BITS}")
        fd = os.open(self.private_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        public_der = _openssl("pkey", "-in", str(self.private_key), "-pubout", "-outform", "DER")
        # What would be published at selector._domainkey.domain; the check serves it itself.
        self.txt_record = f"v=DKIM1; k=rsa; p={base64.b64encode(public_der).decode()}"

    @property
    def dns_name(self):
        return f"{self.selector}._domainkey.{self.domain}"


def _openssl(*args):
    return subprocess.run(["openssl", *args], check=True, capture_output=True).stdout


class OpenDkimMilter:
    """Debian's opendkim in the foreground, as a child of the benchmark: signs (Mode s) mail
    whose From: is in the key's domain, for clients on 127.0.0.1, with the same algorithm and
    canonicalization as Herald. A signer never looks a key up, so it needs no DNS. It runs as
    the benchmark's user (root), who owns the key: the opendkim user could not read it. Its
    config goes beside the key (OpenDKIM checks both the same way), its log into workdir."""

    def __init__(self, workdir, key):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.config = key.directory / f"opendkim-{self.port}.conf"
        self.log = self.dir / "opendkim.log"
        self.proc = None
        self.config.write_text(f"""\
Mode                s
Socket              inet:{self.port}@127.0.0.1
InternalHosts       127.0.0.1
Domain              {key.domain}
Selector            {key.selector}
KeyFile             {key.private_key}
SignatureAlgorithm  rsa-sha256
Canonicalization    relaxed/relaxed
OversignHeaders     From
Syslog              no
""")

    def start(self):
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(["opendkim", "-f", "-x", str(self.config)],
                                         stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, proc=self.proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e}; opendkim said: {self.log.read_text().strip()}") from None

    def rss_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))

    def stop(self):
        stop_child(self.proc)


class NotSigned(Exception):
    """A system delivered mail without a valid DKIM signature by the benchmark's key."""


def verify_signed(system_name, dump_dir, key, expected):
    """Every message smtp-sink dumped into dump_dir (at least expected of them) carries a
    DKIM-Signature with a=rsa-sha256, d= and s= of key, that verifies against key's public
    half at 2048 bits. Raises NotSigned with what was wrong otherwise."""
    dumps = sorted(p for p in Path(dump_dir).rglob("*") if p.is_file())
    if len(dumps) < expected:
        raise NotSigned(f"{system_name}: {len(dumps)} messages reached the sink, {expected} sent")
    for dump in dumps:
        problem = _signature_problem(dump.read_bytes(), key)
        if problem:
            raise NotSigned(f"{system_name} delivered {dump.name} {problem}")
    return len(dumps)


def _signature_problem(message, key):
    """Why message is not signed as it should be by key, or None when it is."""
    headers, _ = dkim.rfc822_parse(message)
    signatures = [value for name, value in headers if name.lower() == b"dkim-signature"]
    if not signatures:
        return "without a DKIM-Signature"
    tags = dkim.util.parse_tag_value(signatures[0])
    wanted = {b"a": b"rsa-sha256", b"d": key.domain.encode(), b"s": key.selector.encode()}
    for tag, value in wanted.items():
        if tags.get(tag) != value:
            return f"signed with {tag.decode()}={tags.get(tag, b'').decode()}, not {value.decode()}"

    def dns_txt(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return key.txt_record.encode() if name.rstrip(".") == key.dns_name else None

    verifier = dkim.DKIM(message)
    try:
        if not verifier.verify(0, dnsfunc=dns_txt):
            return "with a DKIM-Signature that does not verify"
    except dkim.DKIMException as e:  # a body hash mismatch, a malformed signature, ...
        return f"with a DKIM-Signature that does not verify: {e}"
    if verifier.keysize != RSA_BITS:
        return f"signed with a {verifier.keysize}-bit key"
    return None


def rsa_sign_per_second(seconds):
    """One core's rsa2048 signatures per second, from `openssl speed`."""
    out = subprocess.run(["openssl", "speed", "-seconds", str(seconds), f"rsa{RSA_BITS}"],
                         check=True, capture_output=True, text=True).stdout
    # "rsa 2048 bits 0.000270s 0.000016s   3704.8  61301.2": times, then sign/s, verify/s
    m = re.search(rf"^rsa\s+{RSA_BITS} bits\s+\S+\s+\S+\s+([\d.]+)", out, re.M)
    if not m:
        raise RuntimeError(f"no rsa{RSA_BITS} sign/s in openssl speed's output:\n{out}")
    return float(m.group(1))
