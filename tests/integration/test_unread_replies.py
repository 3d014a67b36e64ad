"""A client that pipelines commands and never reads the replies: once the socket buffers are
full, Herald's write waits on it. That write has a deadline (the command timeout); then the
connection is closed and logged, and its slot, per-IP share included, is free again."""
import socket
import time

import pytest

from herald_fixture import insecure_tls, wait_for

BURST = b"NOOP\r\nRSET\r\n" * 4096  # 48 kB of commands, about 115 kB of replies


def greeted_connection(port, implicit_tls):
    """A connection with a small receive buffer that got its 220 (the start-up probes may
    still hold the one slot of 127.0.0.1 for a moment: then 421, and we try again)."""
    def attempt():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", port))
            if implicit_tls:
                s = insecure_tls().wrap_socket(s)
            greeting = b""
            while b"\r\n" not in greeting:
                chunk = s.recv(512)
                if not chunk:
                    break
                greeting += chunk
        except OSError:  # a 421 in plaintext where TLS was expected, a reset
            s.close()
            return None
        if greeting.startswith(b"220 "):
            return s
        s.close()
        return None
    return wait_for(attempt, timeout=30, interval=0.2, what="a 220 greeting")


def flood_without_reading(port, implicit_tls):
    """Sends pipelined commands until Herald stops taking them (its replies have nowhere to
    go). Returns the socket, never read from after the greeting."""
    s = greeted_connection(port, implicit_tls)
    s.settimeout(2)
    sent = 0
    try:
        s.sendall(b"EHLO client.herald.test\r\n")
        while sent < 200 * 1024 * 1024:
            s.sendall(BURST)
            sent += len(BURST)
    except (socket.timeout, TimeoutError):
        return s, sent  # Herald stopped reading: it is stuck writing to us
    except OSError:
        return s, sent  # already cut off: as good for the rest of the test
    s.close()
    pytest.fail(f"Herald took {sent} bytes of commands without its replies being read")


def served(h, mode):
    """A new connection from the same address gets its 220 (not 421: per-IP limit)."""
    try:
        c = h.raw(mode, timeout=10)
    except OSError:
        return None
    try:
        code, _ = c.reply()
        if code != 220:
            return None
        c.ehlo()
        return c.cmd("NOOP")[0] == 250
    except (OSError, ConnectionError, AssertionError):
        return None
    finally:
        c.close()


@pytest.mark.parametrize("mode", ["relay", "submissions"])
def test_client_that_never_reads_replies_is_cut_off_and_frees_its_slot(make_herald, mode):
    h = make_herald(listeners=(mode,),
                    limits={"command_timeout": "2s", "max_connections_per_ip": 1})
    stuck, sent = flood_without_reading(h.port(mode), implicit_tls=(mode == "submissions"))
    try:
        assert sent > 0
        # While it is held, its address has no other slot; once the write times out it has.
        assert wait_for(lambda: served(h, mode), timeout=60, interval=0.5,
                        what="a new connection from 127.0.0.1 served after the cut-off")
        h.wait_for(lambda: "replies not read for 2s" in h.mainlog(),
                   what="the cut-off in the mainlog")
        # The stuck connection itself is gone: reading it ends (EOF or reset), not hangs.
        stuck.settimeout(30)
        deadline = time.monotonic() + 60
        ended = False
        while time.monotonic() < deadline:
            try:
                if not stuck.recv(65536):
                    ended = True
                    break
            except TimeoutError:
                continue
            except OSError:  # reset, or TLS cut mid-record
                ended = True
                break
        assert ended, "the stuck connection was never closed"
    finally:
        stuck.close()
