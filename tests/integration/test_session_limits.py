"""Line lengths, error count, connection limits and timeouts (RFC 5321 4.5.3)."""

import pytest

from herald_fixture import wait_for


def greeted(h):
    c = h.raw()
    code, _ = c.reply()
    return c, code


def welcomed(h):
    """A connection that got 220; retried while the start-up probes still count."""
    def attempt():
        c, code = greeted(h)
        if code == 220:
            return c, code
        c.close()
        return None
    return wait_for(attempt, what="a 220 greeting")


def test_command_line_over_512_octets_gets_500_5_5_6(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, texts = c.cmd("MAIL FROM:<" + "a" * 600 + "@client.herald.test>")
        assert code == 500 and texts[0].startswith("5.5.6"), (code, texts)
        assert c.cmd("NOOP")[0] == 250


def test_endless_command_line_is_cut_off_without_harm(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        try:
            c.send("NOOP " + "z" * 200_000)
            c.send("\r\n")
            code, _ = c.reply()
            assert code in (500, 421), code
        except (ConnectionError, BrokenPipeError):
            pass  # closing such a client is fine
    with h.raw() as c:
        assert c.reply()[0] == 220


def test_text_line_over_1000_octets_is_refused_at_the_real_end(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: long line\r\n\r\n" + "q" * 2000 + "\r\nafter\r\n")
        code, texts = c.cmd(".")
        assert 500 <= code < 600, (code, texts)
        assert c.cmd("NOOP")[0] == 250
    assert " <= " not in h.mainlog()


def test_too_many_errors_end_with_421_and_close(make_herald):
    h = make_herald(limits={"max_errors": 3})
    with h.raw() as c:
        c.reply()
        codes = []
        for _ in range(6):
            try:
                codes.append(c.cmd("BOGUS command")[0])
            except ConnectionError:
                break
            if codes[-1] == 421:
                break
        assert codes[-1] == 421, codes
        assert len(codes) <= 4, codes
        assert c.closed_by_peer(), "still open after 421"


def test_connections_over_the_per_ip_limit_get_421(make_herald):
    h = make_herald(limits={"max_connections_per_ip": 2})
    first, second = welcomed(h), welcomed(h)
    third, code = greeted(h)
    assert code == 421, code
    assert third.closed_by_peer()
    third.close()
    first[0].cmd("QUIT")
    first[0].close()

    def a_new_one_is_welcome():
        c, code = greeted(h)
        c.close()
        return code == 220
    wait_for(a_new_one_is_welcome, what="a free slot after one client left")
    second[0].close()


def test_connections_over_the_total_limit_get_421(make_herald):
    h = make_herald(limits={"max_connections": 2})
    clients = [welcomed(h) for _ in range(2)]
    extra, code = greeted(h)
    assert code == 421
    extra.close()
    for c, _ in clients:
        c.close()


def test_idle_client_is_dropped_after_command_timeout(make_herald):
    h = make_herald(limits={"command_timeout": "2s"})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.sock.settimeout(60)
        code, texts = c.reply()  # unsolicited, when the timer fires
        assert code == 421, (code, texts)
        assert c.closed_by_peer()


def test_stalled_data_is_dropped_after_data_timeout(make_herald):
    h = make_herald(limits={"data_timeout": "2s", "command_timeout": "2s"})
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: stalled\r\n\r\npartial")
        c.sock.settimeout(60)
        try:
            code, _ = c.reply()
            assert code == 421
        except ConnectionError:
            pass
        assert c.closed_by_peer()
    assert " <= " not in h.mainlog()


def test_command_line_limit_is_exactly_512_octets_with_crlf(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        fits = "NOOP " + "x" * (512 - len("NOOP ") - 2)  # 512 with CRLF: RFC 5321 4.5.3.1.4
        assert c.cmd(fits)[0] == 250
        code, texts = c.cmd(fits + "x")
        assert code == 500 and texts[0].startswith("5.5.6"), (code, texts)
        assert c.cmd("NOOP")[0] == 250


@pytest.mark.parametrize("length,accepted", [(998, True), (999, False)])
def test_text_line_limit_is_exactly_1000_octets_with_crlf(make_herald, length, accepted):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: line length\r\n\r\n" + "L" * length + "\r\n")
        code, texts = c.cmd(".")
        if accepted:
            assert code == 250, (code, texts)
        else:
            assert 500 <= code < 600, (code, texts)
