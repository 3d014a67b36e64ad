"""Abuse: thousands of idle connections (slowloris) from a hundred addresses and a flood of bad
commands do not stop a well-behaved client from being served, and the per-IP limit bites an
address that wants more."""
import resource
import smtplib
import socket

from herald_fixture import message, queued_id

IDLE = 5000
PER_IP = 50


def connect_from(source, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def test_slowloris_and_a_bad_command_flood_leave_room_for_a_good_client(make_herald):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle = min(IDLE, hard - 500)  # herald inherits the limit: it raises its own to it
    h = make_herald(limits={"max_connections": idle + 200, "max_connections_per_ip": PER_IP})
    port = h.port()
    opened = []
    try:
        # Idle clients: connected, never a byte sent, never a byte read.
        for i in range(idle):
            opened.append(connect_from(f"127.1.{i // PER_IP // 250}.{1 + i // PER_IP % 250}",
                                       port))
        # One more from a full address: refused with 421 at once.
        extra = connect_from("127.1.0.1", port)
        opened.append(extra)
        assert extra.recv(512).startswith(b"421 "), "the per-IP limit did not bite"
        # The flood: bad commands until the server gives up on each (421 after max_errors,
        # 10 by default; no more than that is sent, so that the close is not a reset).
        for i in range(50):
            flood = connect_from(f"127.2.0.{i + 1}", port)
            opened.append(flood)
            flood.sendall(b"EHLO flood\r\n" + b"XYZZY garbage\r\n" * 11)
        # A good client is served as if nothing were happening.
        with smtplib.SMTP("127.0.0.1", port, timeout=30,
                          source_address=("127.0.0.99", 0)) as s:
            s.ehlo("good.herald.test")
            s.mail("good@client.herald.test")
            s.rcpt("reader@example.net")
            code, text = s.data(message(sender="good@client.herald.test"))
            assert code == 250, text
            queued_id(text)
        for flood in opened[idle + 1:]:
            reply = b""
            while (chunk := flood.recv(65536)):
                reply += chunk
            assert b"\r\n421 " in reply, reply[-300:]  # too many errors: closed
        h.assert_alive()
    finally:
        for s in opened:
            s.close()
