"""Config reload (herald reload, SIGHUP): reject lists, users and rate limits change without a
restart; a broken config is refused and the running one stays in force."""
import signal

from herald_fixture import message, wait_for

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
