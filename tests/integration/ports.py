"""Ports for the servers a test starts. They are picked below the kernel's ephemeral range
(net.ipv4.ip_local_port_range, 32768-60999 by default): a port checked free in that range can
be handed to an outgoing connection before the server binds it, and the server then fails
with "Address already in use". Below it, only another test's pick can collide, and the
random choice among some 20,000 ports makes that rare."""
import random
import socket
from pathlib import Path

LOWEST = 10000


def _first_ephemeral():
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_for(*bindings):
    """A port that each (family, type, host) of `bindings` could bind a moment ago."""
    highest = max(_first_ephemeral() - 1, LOWEST + 1000)
    for _ in range(1000):
        port = random.randint(LOWEST, highest)
        try:
            for family, kind, host in bindings:
                with socket.socket(family, kind) as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError(f"no port free for {bindings}")
