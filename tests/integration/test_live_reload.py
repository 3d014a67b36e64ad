"""Full live reload (issue 20): listeners, transports and routes, DKIM keys, the TLS
certificate (also when its files are renewed on disk), local domains and users change with
`herald reload`, without a restart and without losing mail in flight. What cannot change (the
spool directory) is refused; what changes only at the next restart is named."""
import signal
import time
import smtplib
import socket
import ssl
import time

import dkim
import pytest

from herald_fixture import (LOCAL_USERS, free_port, insecure_tls, maildir_count, message,
                            openssl_passwd, send, wait_for)
from receivers import self_signed_cert
from test_dkim import Published, keygen

RELAY = {"networks": ["127.0.0.0/8"]}
LOCAL = "local.herald.test"
SIGNER = "signer.test"


def reload(h):
    result = h.cli("reload")
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout.decode()


def refused_reload(h):
    result = h.cli("reload")
    assert result.returncode != 0, result.stdout
    return result.stderr.decode() + result.stdout.decode()


def greets(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        return s.ehlo("client.herald.test")[0]


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def smarthost(name, port):
    return {"name": name, "type": "smtp", "host": "127.0.0.1", "port": port, "tls": "none"}


# -- listeners ------------------------------------------------------------------------------

def test_a_reload_opens_a_new_listener_and_closes_a_removed_one(make_herald):
    h = make_herald(relay=RELAY)
    old = h.port("relay")
    new = free_port()
    h.config["listener"].append({"address": f"127.0.0.1:{new}", "mode": "relay"})
    h.write_config()
    reload(h)
    assert greets(new) == 250
    assert f"listening on 127.0.0.1:{new} (relay)" in h.mainlog()

    # A client mid-transaction on the listener that goes away finishes its message.
    session = smtplib.SMTP("127.0.0.1", old, timeout=30)
    session.ehlo("client.herald.test")
    assert session.mail("sender@client.herald.test")[0] == 250
    assert session.rcpt("rcpt@example.net")[0] == 250
    h.config["listener"] = [{"address": f"127.0.0.1:{new}", "mode": "relay"}]
    h.write_config()
    reload(h)
    assert refused(old)
    assert f"listener 127.0.0.1:{old} closed" in h.mainlog()
    code, text = session.data(message())
    assert code == 250 and b"queued as" in text, (code, text)
    session.quit()
    assert greets(new) == 250


def test_a_listener_on_a_taken_port_refuses_the_whole_reload(make_herald):
    h = make_herald(relay=RELAY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        h.config["listener"].append({"address": f"127.0.0.1:{port}", "mode": "relay"})
        h.config["reject"] = {"senders": ["x@bad.example"]}
        h.write_config()
        why = refused_reload(h)
    assert f"cannot listen on 127.0.0.1:{port}" in why, why
    assert "stays in force" in h.mainlog()
    # Nothing of that config was applied: the reject list is not in force.
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("x@bad.example")[0] == 250


def test_the_first_user_added_by_reload_is_offered_auth(make_herald):
    h = make_herald(listeners=("submission",), relay={"networks": ["127.0.0.1/32"]})
    with h.smtp("submission") as s:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.herald.test")
        assert not s.has_extn("auth")
    password = "correct horse battery"
    h.config["user"] = [{"name": "alice", "password_hash": openssl_passwd(password),
                         "sender_domains": ["client.herald.test"]}]
    h.write_config()
    reload(h)
    with h.smtp("submission") as s:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.herald.test")
        assert "PLAIN" in s.esmtp_features.get("auth", "").upper(), s.esmtp_features
        assert s.login("alice", password)[0] == 235


# -- transports, routes and local domains ------------------------------------------------------

def test_routes_change_live_and_mail_in_flight_finishes_on_the_old_transport(
        make_herald, smtp_receiver):
    # The first receiver takes three seconds to answer the end of DATA: the reload comes while
    # a delivery through it is under way.
    slow = smtp_receiver(data_delay=3)
    other = smtp_receiver()
    h = make_herald(relay=RELAY, transport=[smarthost("first", slow.port)],
                    route=[{"sender": "*", "transport": "first"}])
    first = send(h, "sender@client.herald.test", ["one@example.net"])
    wait_for(lambda: slow.events("data") or slow.events("rcpt"), what="the delivery under way")
    h.config["transport"] = [smarthost("second", other.port)]
    h.config["route"] = [{"sender": "*", "transport": "second"}]
    h.write_config()
    reload(h)
    second = send(h, "sender@client.herald.test", ["two@example.net"])
    h.wait_for(lambda: h.completed(first) and h.completed(second), what="both Completed")
    [line] = h.events(first, "=>")
    assert "T=first" in line, line
    [line] = h.events(second, "=>")
    assert "T=second" in line, line
    assert slow.delivered_to("one@example.net")
    assert other.delivered_to("two@example.net")
    assert not other.delivered_to("one@example.net")
    assert not slow.delivered_to("two@example.net")


def test_a_local_domain_added_by_reload_is_delivered_locally(make_herald):
    h = make_herald(relay=RELAY)
    h.config["local"] = {"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
                         "path": "var/mail/{user}"}
    h.write_config()
    reload(h)
    send(h, "sender@client.herald.test", [f"bob@{LOCAL}"])
    wait_for(lambda: maildir_count(h.path("var/mail/bob")) == 1, what="bob's message")


def test_a_shorter_max_age_by_reload_expires_deferred_mail(make_herald, smtp_receiver):
    deferring = smtp_receiver(replies={"*": [451]})
    h = make_herald(relay=RELAY, transport=[smarthost("out", deferring.port)],
                    route=[{"sender": "*", "transport": "out"}],
                    queue={"retry": ["1h"], "max_age": "5d"})
    msg_id = send(h, "sender@client.herald.test", ["late@example.net"])
    h.wait_for(lambda: h.events(msg_id, "=="), what="the deferral")
    h.config["queue"] = {"retry": ["1h"], "max_age": "1s"}
    h.write_config()
    assert "[queue]" not in reload(h)
    time.sleep(1.1)  # older than the new max_age
    assert h.cli("queue", "flush", msg_id).returncode == 0
    [line] = h.wait_for(lambda: h.events(msg_id, "**"), what="the expiry")
    assert "expired" in line, line


# -- DKIM keys and the TLS certificate ----------------------------------------------------------

def test_dkim_keys_added_by_reload_sign_the_next_message(make_herald, tmp_path):
    key, _, strings = keygen(tmp_path, "r1")
    h = make_herald(relay=RELAY, local={"recipients": LOCAL_USERS, "domains": [LOCAL],
                                        "mailbox": "maildir", "path": "var/mail/{user}"})
    data = (f"From: <alice@{SIGNER}>\r\nTo: <bob@{LOCAL}>\r\nSubject: s\r\n"
            f"Message-ID: <m@{SIGNER}>\r\n\r\nhello\r\n")
    send(h, f"alice@{SIGNER}", [f"bob@{LOCAL}"], data=data)
    h.config["dkim.key"] = [{"domain": SIGNER, "selector": "r1", "private_key": str(key),
                             "require_dns_match": False}]
    h.write_config()
    reload(h)
    send(h, f"alice@{SIGNER}", [f"bob@{LOCAL}"], data=data)
    mailbox = h.path("var/mail/bob")
    wait_for(lambda: maildir_count(mailbox) == 2, what="both messages")
    files = sorted((mailbox / "new").glob("*"), key=lambda f: f.stat().st_mtime_ns)
    before, after = (f.read_bytes() for f in files)
    assert b"DKIM-Signature" not in before
    published = Published()
    published.add("r1", SIGNER, strings)
    assert dkim.verify(after, dnsfunc=published), after[:400]


def served_certificate(port):
    """The DER certificate Herald presents after STARTTLS on `port`."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        return s.sock.getpeercert(binary_form=True)


def der(cert_path):
    return ssl.PEM_cert_to_DER_cert(cert_path.read_text())


def test_a_renewed_certificate_is_served_without_a_reload(make_herald, tmp_path):
    first_cert, first_key = self_signed_cert(tmp_path / "first", names=("first.test",))
    live_cert, live_key = tmp_path / "live.pem", tmp_path / "live.key"
    live_cert.write_bytes(first_cert.read_bytes())
    live_key.write_bytes(first_key.read_bytes())
    live_key.chmod(0o600)
    h = make_herald(relay=RELAY, tls={"cert": str(live_cert), "key": str(live_key),
                                      "check_interval": "1s"})
    port = h.port("relay")
    assert served_certificate(port) == der(first_cert)

    # As an ACME client renews: the new pair replaces the files.
    second_cert, second_key = self_signed_cert(tmp_path / "second", names=("second.test",))
    live_key.write_bytes(second_key.read_bytes())
    live_cert.write_bytes(second_cert.read_bytes())
    wait_for(lambda: served_certificate(port) == der(second_cert), timeout=30,
             what="the renewed certificate served")
    assert f"tls: certificate {live_cert} loaded" in h.mainlog()

    # A pair that does not match (the certificate written, not yet its key) is not taken.
    third_cert, _ = self_signed_cert(tmp_path / "third", names=("third.test",))
    live_cert.write_bytes(third_cert.read_bytes())
    wait_for(lambda: "cannot be loaded, the certificate in force stays" in h.mainlog(),
             what="the mismatched pair refused")
    assert served_certificate(port) == der(second_cert)


def test_a_reload_naming_another_certificate_serves_it_and_a_bad_one_is_refused(
        make_herald, tmp_path):
    first_cert, first_key = self_signed_cert(tmp_path / "first", names=("first.test",))
    second_cert, second_key = self_signed_cert(tmp_path / "second", names=("second.test",))
    for key in (first_key, second_key):
        key.chmod(0o600)
    h = make_herald(relay=RELAY, tls={"cert": str(first_cert), "key": str(first_key)})
    port = h.port("relay")
    h.config["tls"] = {"cert": str(second_cert), "key": str(first_key)}
    h.write_config()
    why = refused_reload(h)
    assert "TLS key" in why or "key values mismatch" in why, why
    assert served_certificate(port) == der(first_cert)
    h.config["tls"] = {"cert": str(second_cert), "key": str(second_key)}
    h.write_config()
    reload(h)
    assert served_certificate(port) == der(second_cert)


# -- what a reload cannot change ------------------------------------------------------------------

def test_moving_the_spool_is_refused(make_herald, tmp_path):
    # By SIGHUP: `herald reload` would look for the server's socket in the new spool.
    h = make_herald(relay=RELAY)
    h.config["server"]["spool_dir"] = str(tmp_path / "elsewhere")
    h.write_config()
    h.proc.send_signal(signal.SIGHUP)
    line = wait_for(lambda: [l for l in h.mainlog().splitlines() if "refused" in l],
                    what="the refusal in the mainlog")[0]
    assert "[server] spool_dir cannot change while Herald runs" in line, line
    assert greets(h.port("relay")) == 250


def test_sections_that_change_at_restart_are_named(make_herald):
    h = make_herald(relay=RELAY)
    h.config["dns"] = {"servers": ["127.0.0.1:5353"]}
    h.config["reject"] = {"senders": ["x@bad.example"]}
    h.write_config()
    answer = reload(h)
    assert "these change at the next restart: [dns]" in answer, answer
    assert "these change at the next restart: [dns]" in h.mainlog()
    # The rest of it is in force.
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("x@bad.example")[0] == 550
