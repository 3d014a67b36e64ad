"""Bad input never crashes the server, never queues half a message, never hurts others."""
import random
import socket

import pytest

from herald_fixture import insecure_tls, message, queued_id


def still_serving(h):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("ok@client.herald.test")
        s.rcpt("ok@example.net")
        code, text = s.data(message(subject="still here"))
        assert code == 250, text
        return queued_id(text)


def test_disconnect_in_the_middle_of_data_queues_nothing(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: cut short\r\n\r\nhalf a messa")
    msg_id = still_serving(h)
    h.wait_for(lambda: h.completed(msg_id), what="the good message")
    arrivals = [l for l in h.mainlog().splitlines() if " <= " in l]
    assert len(arrivals) == 1 and msg_id in arrivals[0], arrivals


def test_reset_connection_in_the_middle_of_data(make_herald):
    h = make_herald()
    c = h.raw()
    c.reply()
    c.ehlo()
    c.cmd("MAIL FROM:<a@client.herald.test>")
    c.cmd("RCPT TO:<b@example.net>")
    c.cmd("DATA")
    c.send("Subject: reset\r\n\r\n" + "x" * 10000)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()  # RST
    still_serving(h)
    assert h.running()


def test_garbage_instead_of_a_tls_handshake(make_herald):
    h = make_herald(listeners=("relay", "submissions"))
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("STARTTLS")
        c.send(b"\x16\x03\x01\x00\xffthis is not a client hello" + bytes(range(256)))
    with socket.create_connection(("127.0.0.1", h.port("submissions")), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x02\x00" + b"\x00" * 600)
    with socket.create_connection(("127.0.0.1", h.port("submissions")), timeout=10):
        pass  # connect and vanish before any handshake
    still_serving(h)
    with h.smtp("submissions") as s:
        assert s.ehlo("client.herald.test")[0] == 250


def test_starttls_twice_is_a_sequence_error(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.starttls()
        c.ehlo()
        code, texts = c.cmd("STARTTLS")
        assert code == 503, (code, texts)


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_on_the_command_channel(make_herald, seed):
    h = make_herald()
    rng = random.Random(seed)
    for _ in range(20):
        with h.raw() as c:
            c.reply()
            blob = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 10, 600, 5000])))
            try:
                c.send(blob + b"\r\nQUIT\r\n")
                c.closed_by_peer(timeout=10)
            except (ConnectionError, OSError):
                pass
    still_serving(h)


def test_nul_and_8bit_bytes_in_commands_get_an_error(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        code, _ = c.cmd("MAIL FROM:<a\x00b@client.herald.test>")
        assert 500 <= code < 600, code
        c.send(b"RCPT TO:<\xff\xfe@example.net>\r\n")
        code, _ = c.reply()
        assert 500 <= code < 600, code
        assert c.cmd("NOOP")[0] == 250


def test_transaction_state_is_reset_by_rset_and_ehlo(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.cmd("RCPT TO:<b@example.net>")
        assert c.cmd("RSET")[0] == 250
        assert c.cmd("DATA")[0] == 503
        c.cmd("MAIL FROM:<a@client.herald.test>")
        c.ehlo()
        assert c.cmd("RCPT TO:<b@example.net>")[0] == 503
        assert c.cmd("MAIL FROM:<a@client.herald.test>")[0] == 250
        assert c.cmd("MAIL FROM:<a@client.herald.test>")[0] == 503  # nested MAIL


def test_null_sender_is_accepted_for_bounces(make_herald):
    h = make_herald()
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("")[0] == 250
        assert s.rcpt("postmaster@example.net")[0] == 250
        code, text = s.data(message(subject="a bounce"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what="the bounce delivered")


def test_many_concurrent_connections(make_herald):
    h = make_herald(limits={"max_connections_per_ip": 1000, "max_connections": 1000})
    clients = []
    try:
        for _ in range(300):
            clients.append(socket.create_connection(("127.0.0.1", h.port()), timeout=30))
        for s in clients:
            s.sendall(b"EHLO many.herald.test\r\n")
        for s in clients:
            f = s.makefile("rb")
            assert f.readline().startswith(b"220 ")
            line = f.readline()
            while line[3:4] == b"-":
                line = f.readline()
            assert line.startswith(b"250 "), line
            f.close()
    finally:
        for s in clients:
            s.close()
    still_serving(h)


def test_tls_client_that_stalls_mid_handshake_does_not_block_others(make_herald):
    h = make_herald(listeners=("relay", "submissions"))
    staller = socket.create_connection(("127.0.0.1", h.port("submissions")), timeout=10)
    staller.sendall(b"\x16\x03\x01")  # a partial TLS record, then nothing
    try:
        ctx = insecure_tls()
        with socket.create_connection(("127.0.0.1", h.port("submissions")), timeout=30) as raw:
            with ctx.wrap_socket(raw) as tls:
                assert tls.recv(4096).startswith(b"220 ")
        still_serving(h)
    finally:
        staller.close()
