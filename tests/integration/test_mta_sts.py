"""MTA-STS (RFC 8461, issue 22): Herald looks up `_mta-sts.<domain>` in a real DNS server
(unbound on loopback), fetches the policy from a real HTTPS server on <address>:443 whose
certificate a test CA signed, and delivers to real receivers (aiosmtpd) that offer good,
wrong-name and self-signed certificates, or no STARTTLS at all (an attacker who strips it).
Under `enforce` only a verified TLS connection to an MX host the policy names gets the mail;
under `testing` mail goes through whatever TLS the receiver has."""
import http.server
import random
import re
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from herald_fixture import delivery_config, make_ca_and_cert, send
from receivers import free_port_on, self_signed_cert

DOMAIN = "sts.test"
MX_HOST = f"mx.{DOMAIN}"
POLICY_HOST = f"mta-sts.{DOMAIN}"


def policy(mode="enforce", mx=(MX_HOST,), max_age=86400):
    lines = ["version: STSv1", f"mode: {mode}"] + [f"mx: {m}" for m in mx]
    return "\r\n".join(lines + [f"max_age: {max_age}", ""])


def loopback_address():
    """An address of 127/8 that no other test uses: the policy server needs port 443."""
    return f"127.{random.randint(16, 250)}.{random.randint(0, 255)}.{random.randint(2, 250)}"


class HttpsServer:
    """`handler` (a BaseHTTPRequestHandler class) served over HTTPS on ip:port, in a thread."""

    def __init__(self, ip, port, cert, key, handler):
        self.httpd = http.server.ThreadingHTTPServer((ip, port), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class PolicyServer(HttpsServer):
    """HTTPS on `ip`:443 answering /.well-known/mta-sts.txt with `body` (and `status`)."""

    def __init__(self, ip, cert, key, body, status=200):
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server name)
                server.requests.append(self.path)
                data = body.encode() if self.path == "/.well-known/mta-sts.txt" else b"no"
                self.send_response(status if self.path == "/.well-known/mta-sts.txt" else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(ip, 443, cert, key, Handler)


def issue(ca_dir, out_dir, names):
    """A certificate for `names` from the CA of make_ca_and_cert(ca_dir): (cert, key)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key, csr, cert, ext = out / "k.pem", out / "r.csr", out / "c.pem", out / "san.ext"
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", f"/CN={names[0]}")
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(Path(ca_dir) / "ca.pem"),
        "-CAkey", str(Path(ca_dir) / "ca.key"), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    return cert, key


@pytest.fixture
def sts(tmp_path, make_herald, dns_zone, smtp_receiver):
    """sts(mode=..., receiver_tls="good"|"wrong-name"|"self-signed"|None, ...) ->
    (herald, receiver, policy_server), with DNS for DOMAIN pointing at both. More records in
    `zone`; more herald sections as keywords."""
    servers = []

    def make(mode="enforce", receiver_tls="good", mx=(MX_HOST,), body=None, status=200,
             txts=('"v=STSv1; id=20261203T1;"',), zone=(), **sections):
        ca_dir = tmp_path / "ca"
        ca, cert, key = make_ca_and_cert(ca_dir, names=(MX_HOST, POLICY_HOST))
        policy_ip, mx_ip = loopback_address(), loopback_address()
        servers.append(PolicyServer(policy_ip, cert, key, body or policy(mode, mx), status))
        records = [f"{DOMAIN}. MX 10 {MX_HOST}.", f"{MX_HOST}. A {mx_ip}",
                   f"{POLICY_HOST}. A {policy_ip}",
                   "sender.test. MX 10 mx.sender.test.", f"mx.sender.test. A {mx_ip}",
                   *zone]
        records += [f"_mta-sts.{DOMAIN}. TXT {txt}" for txt in txts]
        tls = {"good": (cert, key),
               "wrong-name": issue(ca_dir, tmp_path / "wrong", ("other.test",)),
               "self-signed": self_signed_cert(tmp_path / "self", names=(MX_HOST,)),
               None: None}[receiver_tls]
        port = free_port_on([mx_ip])
        receiver = smtp_receiver(mx_ip, port, tls=tls)
        h = make_herald(**delivery_config(dns_zone(records), port, retry=("1h",),
                                          mx={"tls_ca_file": str(ca)}), **sections)
        return h, receiver, servers[-1]

    yield make
    for server in servers:
        server.stop()


def outcome_line(h, msg_id, mark):
    return h.wait_for_log(rf"^\S+ {re.escape(msg_id)} {re.escape(mark)} <?bob@{DOMAIN}>? .*$",
                          timeout=60).group(0)


def test_enforce_delivers_over_verified_tls_and_keeps_the_policy(sts):
    h, receiver, server = sts()
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    line = outcome_line(h, msg_id, "=>")
    assert re.search(r" X=TLSv1\.[23]:\S+:verified P=sts ", line), line
    assert receiver.delivered_to(f"bob@{DOMAIN}")
    assert server.requests == ["/.well-known/mta-sts.txt"]
    assert re.search(rf"MTA-STS: {DOMAIN} policy 20261203T1: mode enforce, max_age 86400",
                     h.mainlog())
    kept = (h.spool_dir / "mta-sts" / DOMAIN).read_text()
    assert "mode: enforce" in kept and "id: 20261203T1" in kept, kept
    # The next message uses the policy kept: the id has not changed, nothing is fetched.
    second = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    outcome_line(h, second, "=>")
    assert server.requests == ["/.well-known/mta-sts.txt"]


@pytest.mark.parametrize("receiver_tls", [None, "wrong-name", "self-signed"])
def test_enforce_gives_an_attacker_nothing(sts, receiver_tls):
    """No STARTTLS (stripped), a certificate for another name, or one no CA signed."""
    h, receiver, _ = sts(receiver_tls=receiver_tls)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    line = outcome_line(h, msg_id, "==")
    assert " P=sts " in line, line
    assert not receiver.messages(), "the message went to a receiver the policy does not trust"


def test_enforce_refuses_mx_hosts_the_policy_does_not_name(sts):
    h, receiver, _ = sts(mx=("*.elsewhere.test",))
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    line = outcome_line(h, msg_id, "==")
    assert f"MTA-STS policy of {DOMAIN} names none of its MX hosts ({MX_HOST})" in line, line
    assert not receiver.connections()


def test_testing_mode_still_delivers(sts):
    h, receiver, _ = sts(mode="testing", receiver_tls=None)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    line = outcome_line(h, msg_id, "=>")
    assert " P=sts-testing " in line and " X=" not in line, line
    assert receiver.delivered_to(f"bob@{DOMAIN}")


@pytest.mark.parametrize("body,status,why", [
    ("version: STSv1\nmode: enforce\n", 200, "a malformed policy: no max_age"),
    (policy(), 404, "HTTP 404"),
])
def test_a_policy_that_cannot_be_had_is_no_policy(sts, body, status, why):
    h, receiver, server = sts(receiver_tls=None, body=body, status=status)
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    line = outcome_line(h, msg_id, "=>")
    assert " P=opportunistic " in line, line
    assert re.search(rf"MTA-STS: no policy for {DOMAIN} \({re.escape(why)}.*; next try in 300 s",
                     h.mainlog())
    # The next delivery does not wait for the same failure again.
    second = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    outcome_line(h, second, "=>")
    assert server.requests == ["/.well-known/mta-sts.txt"]


def test_two_records_are_no_policy(sts):
    h, receiver, server = sts(receiver_tls=None,
                              txts=('"v=STSv1; id=1;"', '"v=STSv1; id=2;"'))
    msg_id = send(h, "alice@sender.test", [f"bob@{DOMAIN}"])
    outcome_line(h, msg_id, "=>")
    assert not server.requests
    assert f"MTA-STS: _mta-sts.{DOMAIN}: 2 v=STSv1 records" in h.mainlog()
