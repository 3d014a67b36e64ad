"""Config reload (herald reload, SIGHUP): reject lists, users and rate limits change without a
restart; a broken config is refused and the running one stays in force."""
import json
import os
import signal
import socket
import smtplib
import subprocess
import urllib.request

import pytest

from herald_fixture import (HERALD_BIN, free_port, insecure_tls, message, openssl_passwd,
                            wait_for)

RELAY = {"networks": ["127.0.0.0/8"]}


def mail_from(h, sender):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        return s.mail(sender)


def test_reload_applies_a_new_reject_list(make_herald):
    h = make_herald(relay=RELAY)
    assert mail_from(h, "spammer@bad.example")[0] == 250
    h.config["reject"] = {"senders": ["*@bad.example"]}
    h.write_config()
    result = h.cli("reload")
    assert result.returncode == 0, result.stderr
    assert b"ok reloaded" in result.stdout
    code, text = mail_from(h, "spammer@bad.example")
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)
    assert mail_from(h, "fine@good.example")[0] == 250
    assert "reloaded" in h.mainlog()


def test_sighup_reloads_too(make_herald):
    h = make_herald(relay=RELAY)
    h.config["reject"] = {"senders": ["x@bad.example"]}
    h.write_config()
    h.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in h.mainlog(), what="the reload in the mainlog")
    assert mail_from(h, "x@bad.example")[0] == 550


def test_a_broken_config_is_refused_and_the_old_one_stays(make_herald):
    h = make_herald(relay=RELAY, reject={"senders": ["x@bad.example"]})
    good = h.config_path.read_text()
    h.config_path.write_text(good + "\n[relay]\nnetworks = [\"not a network\"]\n")
    result = h.cli("reload")
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert b"herald.toml:" in result.stderr, result.stderr
    # Sent anyway through SIGHUP: the server refuses it and says why.
    h.proc.send_signal(signal.SIGHUP)
    line = wait_for(lambda: [l for l in h.mainlog().splitlines() if "refused" in l],
                    what="the refused reload in the mainlog")[0]
    assert "stays in force" in line, line
    assert mail_from(h, "x@bad.example")[0] == 550
    assert mail_from(h, "y@good.example")[0] == 250
    assert h.proc.poll() is None


def test_rate_limit_counts_survive_a_reload(make_herald):
    h = make_herald(relay=RELAY, rate_limit=[{"match": "sender", "limit": "1/hour"}])
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("app@client.herald.test")
        assert s.rcpt("a@example.net")[0] == 250
        assert s.data(message(sender="app@client.herald.test"))[0] == 250
    h.config["reject"] = {"users": ["nobody"]}
    h.write_config()
    assert h.cli("reload").returncode == 0
    assert mail_from(h, "app@client.herald.test")[0] == 451


# -- issue 14: reload off the event loop, with limits; a stripping reload needs --force -------

PASSWORD = "correct horse battery"


def control(h, line):
    """One request on the control socket, as `herald reload` sends it; the reply line."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(h.spool_dir / "control.sock"))
        s.sendall(line.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.decode()


def admin_queue(h, port):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/queue",
                                     headers={"Authorization": f"Bearer {h.admin_token()}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def refusals(h):
    return [l for l in h.mainlog().splitlines() if "refused" in l and "reload" in l]


def test_a_fifo_as_config_is_refused_and_the_server_keeps_serving(make_herald):
    port = free_port()
    h = make_herald(relay=RELAY, reject={"senders": ["x@bad.example"]},
                    admin={"http": f"127.0.0.1:{port}"})
    # The config becomes a FIFO that nobody ever writes.
    h.config_path.unlink()
    os.mkfifo(h.config_path)
    h.proc.send_signal(signal.SIGHUP)
    line = h.wait_for(lambda: refusals(h), what="the refused reload in the mainlog")[0]
    assert "not a regular file" in line and "stays in force" in line, line
    # Through the control socket, as `herald reload` would send it: an error reply.
    reply = control(h, "reload")
    assert reply.startswith("error ") and "not a regular file" in reply, reply
    # SMTP and the admin API answer meanwhile, with the old config in force.
    assert mail_from(h, "x@bad.example")[0] == 550
    assert mail_from(h, "y@good.example")[0] == 250
    assert admin_queue(h, port)[0] == 200
    # The CLI refuses to read it too, at once, with a file:line line.
    result = h.cli("reload", timeout=30)
    assert result.returncode == 2, result
    assert b"herald.toml:0: cannot read: not a regular file" in result.stderr, result.stderr
    result = h.cli("check-config", timeout=30)
    assert result.returncode == 2 and b"not a regular file" in result.stderr, result
    h.config_path.unlink()
    h.write_config()


def test_a_config_over_one_mebibyte_is_refused(make_herald):
    h = make_herald(relay=RELAY, reject={"senders": ["x@bad.example"]})
    good = h.config_path.read_text()
    h.config_path.write_text(good + ("# padding\n" * (1024 * 1024 // 10 + 1)))
    reply = control(h, "reload")
    assert reply.startswith("error ") and "larger than 1 MiB" in reply, reply
    assert "larger than 1 MiB" in refusals(h)[0]
    result = h.cli("check-config")
    assert result.returncode == 2 and b"herald.toml:0: cannot read: larger than 1 MiB" \
        in result.stderr, result
    assert mail_from(h, "x@bad.example")[0] == 550
    h.config_path.write_text(good)


def authenticates(h):
    """True when alice's password is accepted on the submission listener."""
    with h.smtp("submission") as s:
        s.ehlo("client.herald.test")
        s.starttls(context=insecure_tls())
        s.ehlo("client.herald.test")
        try:
            s.login("alice", PASSWORD)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def test_an_empty_config_is_refused_unless_forced(make_herald):
    h = make_herald(listeners=("relay", "submission"),
                    relay={"networks": ["127.0.0.1/32"]},
                    user=[{"name": "alice", "password_hash": openssl_passwd(PASSWORD),
                           "sender_domains": ["client.herald.test"]}],
                    reject={"senders": ["x@bad.example"]},
                    rate_limit=[{"match": "sender", "limit": "1000/hour"}])
    assert authenticates(h)
    h.config_path.write_text("")

    result = h.cli("reload")
    assert result.returncode == 1, result
    err = result.stderr.decode()
    for reason in ("[[listener]]", "every [[user]] (1 now)", "every [reject] entry (1 now)",
                   "every [[rate_limit]] (1 now)", "none of the [relay] networks",
                   "herald reload --force"):
        assert reason in err, (reason, err)
    line = h.wait_for(lambda: refusals(h), what="the refusal in the mainlog")[0]
    assert "every [[user]]" in line and "stays in force" in line, line
    # The running config stands: alice still authenticates, the reject list still bites.
    assert authenticates(h)
    assert mail_from(h, "x@bad.example")[0] == 550

    # Forced, it is applied: no users any more, no reject list, and no listener: the ports
    # close.
    result = h.cli("reload", "--force")
    assert result.returncode == 0, result
    assert b"ok reloaded (forced)" in result.stdout, result.stdout
    assert "forced although" in h.mainlog()
    for _, port in h.listeners:
        assert f"listener 127.0.0.1:{port} closed" in h.mainlog()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_reload_that_keeps_what_is_in_force_needs_no_force(make_herald):
    h = make_herald(relay={"networks": ["127.0.0.1/32"]}, reject={"senders": ["x@bad.example"]})
    h.config["reject"] = {"senders": ["y@bad.example"]}
    h.config["relay"] = {"networks": ["127.0.0.1/32", "10.0.0.0/8"]}
    h.write_config()
    result = h.cli("reload")
    assert result.returncode == 0, result
    assert mail_from(h, "y@bad.example")[0] == 550
    assert mail_from(h, "x@bad.example")[0] == 250
