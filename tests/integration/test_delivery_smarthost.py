"""Routes by sender: one brand's mail (`*@brand.test`) through a smarthost that requires
STARTTLS and AUTH (the password read from auth_password_file), everything else straight to
the recipient's MX; both routes visible in the mainlog, the password in no log.

The smarthost's certificate is signed by a private CA. Herald's smtp transport verifies
against the system trust store (OpenSSL's default paths) and has no config key for an extra
CA, so the tests point OpenSSL at the test CA with SSL_CERT_FILE in herald's environment."""
import re
import socket

import pytest

from herald_fixture import delivery_config, make_ca_and_cert, message, send
from receivers import free_port_on

MX, SMARTHOST = "127.0.0.2", "127.0.0.5"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    "two.test. MX 10 mx.one.test.",
    "smarthost.test. A 127.0.0.5",
    "smtps.test. A 127.0.0.6",
]
SMTPS = "127.0.0.6"
USER = "brand-relay"
PASSWORD = "s3cret-Pa55word-never-logged"


def smarthost_transport(tmp_path, port, tls="required", password=PASSWORD,
                        host="smarthost.test"):
    secret = tmp_path / "secrets" / "relay.pass"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    return {"name": "smarthost", "type": "smtp", "host": host, "port": port,
            "tls": tls, "auth_user": USER, "auth_password_file": str(secret)}


@pytest.fixture
def brand_setup(make_herald, dns_zone, smtp_receiver, tmp_path, monkeypatch):
    """(herald, smarthost receiver, MX receiver, make) — call make(trust_ca=True, password=)
    to start herald."""
    port = free_port_on([MX, SMARTHOST])
    ca, cert, key = make_ca_and_cert(tmp_path / "pki", names=("smarthost.test",))
    smarthost = smtp_receiver(SMARTHOST, port, tls=(cert, key), require_tls=True,
                              auth=(USER, PASSWORD), hostname="smarthost.test")
    mx = smtp_receiver(MX, port)
    dns = dns_zone(ZONE)

    def make(trust_ca=True, password=PASSWORD):
        if trust_ca:
            monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        else:
            monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        return make_herald(**delivery_config(
            dns, port, transports=[smarthost_transport(tmp_path, port, password=password)],
            routes=[{"sender": "*@brand.test", "transport": "smarthost"}]))

    return make, smarthost, mx


def every_log_text(h):
    texts = [p.read_text(errors="replace") for p in h.log_dir.iterdir() if p.is_file()]
    return "\n".join(texts + [h.stdout(), h.stderr()])


def test_brand_mail_goes_through_the_smarthost_and_the_rest_to_the_mx(brand_setup):
    make, smarthost, mx = brand_setup
    h = make()
    brand_id = send(h, "news@brand.test", ["bob@one.test", "x@two.test"],
                    message(sender="news@brand.test", to="bob@one.test", subject="brand news"))
    other_id = send(h, "alice@client.test", ["carol@one.test"])
    h.wait_for(lambda: h.completed(brand_id) and h.completed(other_id), what="both Completed")

    brand_lines = h.events(brand_id, "=>")
    assert len(brand_lines) == 2, brand_lines
    for line in brand_lines:
        assert "T=smarthost" in line and "smarthost.test [127.0.0.5]" in line, line
    [other_line] = h.events(other_id, "=>")
    assert "T=mx" in other_line and "mx.one.test [127.0.0.2]" in other_line, other_line

    # The smarthost got the brand's message: both recipients, one transaction, over TLS,
    # logged in as the configured user.
    [relayed] = smarthost.messages()
    assert relayed.mail_from == "news@brand.test"
    assert sorted(relayed.rcpt_tos) == ["bob@one.test", "x@two.test"]
    assert relayed.tls and relayed.login == USER
    assert relayed.parsed()["Subject"] == "brand news"
    assert [e for e in smarthost.events("auth") if e["ok"]], "no successful AUTH"
    assert all(e["tls"] for e in smarthost.events("auth")), "AUTH before STARTTLS"
    # The MX got only the other sender's message.
    assert [(m.mail_from, m.rcpt_tos) for m in mx.messages()] == \
        [("alice@client.test", ["carol@one.test"])]

    # The password is in no log file, nor on herald's stdout/stderr.
    assert PASSWORD not in every_log_text(h)


def test_untrusted_smarthost_certificate_defers_and_sends_no_password(brand_setup):
    make, smarthost, mx = brand_setup
    h = make(trust_ca=False)  # tls = "required" and the private CA is not trusted
    msg_id = send(h, "news@brand.test", ["bob@one.test"])
    deferred = h.wait_for(lambda: h.events(msg_id, "=="), what="the attempt deferred")
    assert "T=smarthost" in deferred[0], deferred
    assert re.search(r"certif|verif", deferred[0], re.I), deferred
    assert not h.events(msg_id, "=>")
    assert smarthost.events("auth") == [] and smarthost.messages() == []
    assert mx.messages() == [], "mail of a smarthost route must not fall back to the MX"
    assert msg_id in h.queue_ids()
    assert PASSWORD not in every_log_text(h)


def test_wrong_password_is_not_delivered_and_not_logged(brand_setup):
    make, smarthost, mx = brand_setup
    wrong = "wrong-Pa55word-also-never-logged"
    h = make(password=wrong)
    msg_id = send(h, "news@brand.test", ["bob@one.test"])
    h.wait_for(lambda: h.events(msg_id, "==") or h.events(msg_id, "**"),
               what="the attempt refused")
    h.wait_for(lambda: smarthost.events("auth"), what="the AUTH attempt")
    assert [e["ok"] for e in smarthost.events("auth")] == [False]
    assert smarthost.messages() == [] and mx.messages() == []
    assert not h.events(msg_id, "=>")
    logs = every_log_text(h)
    assert wrong not in logs and PASSWORD not in logs


def test_auth_without_required_tls_is_a_config_error(make_herald, tmp_path):
    transport = smarthost_transport(tmp_path, 2525, tls="opportunistic")
    h = make_herald(start=False, transport=[transport],
                    route=[{"sender": "*", "transport": "smarthost"}])
    result = h.cli("check-config")
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = result.stderr.decode()
    assert re.search(r"herald\.toml:\d+: .*(tls|auth)", err), err
    assert PASSWORD not in err


def test_smarthost_on_port_465_gets_implicit_tls(make_herald, dns_zone, smtp_receiver,
                                                 tmp_path, monkeypatch):
    try:
        with socket.socket() as probe:
            probe.bind((SMTPS, 465))
    except OSError as e:
        pytest.skip(f"cannot listen on {SMTPS}:465: {e}")
    ca, cert, key = make_ca_and_cert(tmp_path / "pki", names=("smtps.test",))
    smtps = smtp_receiver(SMTPS, 465, tls=(cert, key), implicit_tls=True,
                          auth=(USER, PASSWORD), hostname="smtps.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    h = make_herald(**delivery_config(
        dns_zone(ZONE), 2525,
        transports=[smarthost_transport(tmp_path, 465, host="smtps.test")],
        routes=[{"sender": "*@brand.test", "transport": "smarthost"}]))
    msg_id = send(h, "news@brand.test", ["bob@one.test"])
    h.wait_for(lambda: h.completed(msg_id), what="Completed")
    [line] = h.events(msg_id, "=>")
    assert "T=smarthost" in line and "smtps.test [127.0.0.6]" in line, line
    [got] = smtps.messages()
    assert got.tls and got.login == USER and got.rcpt_tos == ["bob@one.test"]
    assert PASSWORD not in every_log_text(h)


def test_required_tls_checks_the_certificates_host_name(make_herald, dns_zone, smtp_receiver,
                                                        tmp_path, monkeypatch):
    """The chain is trusted, but the certificate names another host: no delivery, no AUTH."""
    port = free_port_on([SMARTHOST])
    ca, cert, key = make_ca_and_cert(tmp_path / "pki", names=("other.test",))
    smarthost = smtp_receiver(SMARTHOST, port, tls=(cert, key), require_tls=True,
                              auth=(USER, PASSWORD))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    h = make_herald(**delivery_config(
        dns_zone(ZONE), port, transports=[smarthost_transport(tmp_path, port)],
        routes=[{"sender": "*@brand.test", "transport": "smarthost"}]))
    msg_id = send(h, "news@brand.test", ["bob@one.test"])
    [deferred] = h.wait_for(lambda: h.events(msg_id, "=="), what="deferred")
    assert "T=smarthost" in deferred, deferred
    assert smarthost.events("auth") == [] and smarthost.messages() == []
    assert PASSWORD not in every_log_text(h)
