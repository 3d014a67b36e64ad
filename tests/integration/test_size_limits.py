"""SIZE (RFC 1870): advertised, enforced on the declared and on the actual size."""
import re

from herald_fixture import message, queued_id

LIMIT = 20000


def big_message(n):
    line = "x" * 70 + "\r\n"
    return message(subject="big", body=line * (n // len(line) + 1))


def arrivals(h):
    return [l for l in h.mainlog().splitlines() if re.search(r"\s<=\s", l)]


def test_size_is_advertised(make_herald):
    h = make_herald(limits={"max_message_size": LIMIT})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.esmtp_features["size"] == str(LIMIT)


def test_declared_size_over_limit_is_refused_at_mail(make_herald):
    h = make_herald(limits={"max_message_size": LIMIT})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, texts = c.cmd(f"MAIL FROM:<a@client.herald.test> SIZE={LIMIT + 1}")
        assert code == 552 and texts[0].startswith("5.3.4"), (code, texts)
        code, texts = c.cmd(f"MAIL FROM:<a@client.herald.test> SIZE={LIMIT}")
        assert code == 250, (code, texts)


def test_actual_size_over_limit_is_refused_after_data_and_session_continues(make_herald):
    h = make_herald(limits={"max_message_size": LIMIT})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for declared in ([], ["SIZE=500"]):  # undeclared, and lied about
            assert s.mail("a@client.herald.test", declared)[0] == 250
            assert s.rcpt("b@example.net")[0] == 250
            code, text = s.data(big_message(3 * LIMIT))
            assert code == 552 and text.startswith(b"5.3.4"), (code, text)
        # The same connection still works for a message under the limit.
        assert s.mail("a@client.herald.test")[0] == 250
        assert s.rcpt("b@example.net")[0] == 250
        code, text = s.data(message(subject="small"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    assert len(arrivals(h)) == 1, arrivals(h)


def test_message_much_larger_than_limit_does_not_hurt_the_server(make_herald):
    h = make_herald(limits={"max_message_size": LIMIT})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("DATA")[0] == 354
        chunk = ("y" * 998 + "\r\n").encode()
        for _ in range(2000):  # 2 MB
            c.send(chunk)
        code, texts = c.cmd(".")
        assert code == 552, (code, texts)
        assert c.cmd("NOOP")[0] == 250
    assert arrivals(h) == []


def test_each_listener_has_its_own_size(make_herald):
    """[[listener]] max_message_size: the relay port takes less than the global limit, the
    other listener keeps [limits] max_message_size."""
    h = make_herald(listeners=("relay", "submission"), start=False,
                    limits={"max_message_size": 4 * LIMIT})
    h.config["listener"][0]["max_message_size"] = LIMIT
    h.write_config()
    h.start()
    with h.smtp("relay") as s:
        s.ehlo("client.herald.test")
        assert s.esmtp_features["size"] == str(LIMIT)
        assert s.mail("a@client.herald.test")[0] == 250
        assert s.rcpt("b@example.net")[0] == 250
        code, text = s.data(big_message(2 * LIMIT))
        assert code == 552 and text.startswith(b"5.3.4"), (code, text)
    with h.smtp("submission") as s:
        s.ehlo("client.herald.test")
        assert s.esmtp_features["size"] == str(4 * LIMIT)


def test_a_listener_size_is_checked(make_herald):
    h = make_herald(listeners=("relay", "http"), start=False)
    h.config["listener"][0]["max_message_size"] = "2G"
    h.config["listener"][1]["max_message_size"] = "1M"
    h.write_config()
    result = h.cli("check-config")
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 2, out
    assert "listener.max_message_size must be between 1 and 1G" in out, out
    assert "listener.max_message_size is for SMTP listeners" in out, out
