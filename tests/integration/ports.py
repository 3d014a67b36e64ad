"""Ports for the servers a test starts. They are picked below the kernel's ephemeral range
(net.ipv4.ip_local_port_range, 32768-60999 by default): a port checked free in that range can
be handed to an outgoing connection before the server binds it, and the server then fails
with "Address already in use".

Below it, only another pick can collide, so picks must not repeat: each pytest-xdist worker
owns a slice of the range of its own, and walks it in order from a random start. A port is
handed out again only after the walk has gone once round the slice, thousands of picks later,
when the test that held it has long finished."""
import itertools
import os
import random
import socket
from pathlib import Path

LOWEST = 10000


def _first_ephemeral():
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _worker_slice():
    """The ports this process may pick from: its share when pytest-xdist runs workers."""
    highest = max(_first_ephemeral() - 1, LOWEST + 1000)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) if worker.isdigit() else 0
    width = (highest - LOWEST + 1) // max(count, 1)
    first = LOWEST + index * width
    return range(first, first + width)


def _walk():
    ports = _worker_slice()
    start = random.randrange(len(ports))
    return itertools.cycle([*ports[start:], *ports[:start]])


_next_ports = _walk()


def free_port_for(*bindings):
    """A port that each (family, type, host) of `bindings` could bind a moment ago, not handed
    out by this process before."""
    for port in itertools.islice(_next_ports, 1000):
        try:
            for family, kind, host in bindings:
                with socket.socket(family, kind) as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    raise AssertionError(f"no port free for {bindings}")
