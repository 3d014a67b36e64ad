"""A restart in the middle of the queue: recipients already delivered are never delivered
again, the deferred ones are delivered after the restart, each exactly once (counted at the
receivers)."""
import pytest

from herald_fixture import delivery_config, send
from receivers import free_port_on

MX1, MX2 = "127.0.0.2", "127.0.0.3"
ZONE = [
    "one.test. MX 10 mx.one.test.",
    "mx.one.test. A 127.0.0.2",
    "two.test. MX 10 mx.two.test.",
    "mx.two.test. A 127.0.0.3",
]


def stop(h, how):
    if how == "kill9":
        h.kill9()
    else:
        assert h.stop() == 0, "SIGTERM must stop herald with exit 0"


@pytest.mark.parametrize("how", [
    "sigterm",
    pytest.param("kill9", marks=pytest.mark.allow_panic),
])
def test_restart_mid_queue_delivers_the_rest_exactly_once(make_herald, dns_zone,
                                                          smtp_receiver, how):
    port = free_port_on([MX1, MX2])
    one = smtp_receiver(MX1, port, replies={"r3@one.test": [450, 250]})
    two = smtp_receiver(MX2, port, replies={"*": [451, 250]})
    h = make_herald(**delivery_config(dns_zone(ZONE), port, retry=["1h"]))
    first = send(h, "alice@client.test", ["r1@one.test", "r2@one.test", "r3@one.test"])
    second = send(h, "bob@client.test", ["r4@two.test", "r5@one.test"])
    h.wait_for(lambda: len(h.events(first, "=>")) == 2 and h.events(first, "==")
               and h.events(second, "=>") and h.events(second, "=="),
               what="the first attempts: some delivered, some deferred")
    assert h.queue_ids() == {first, second}

    stop(h, how)
    h.start()
    assert h.queue_ids() == {first, second}, "the deferred messages survive the restart"
    assert h.cli("queue", "flush").returncode == 0
    h.wait_for(lambda: h.completed(first) and h.completed(second), what="both Completed")

    for receiver, rcpt in [(one, "r1@one.test"), (one, "r2@one.test"), (one, "r3@one.test"),
                           (two, "r4@two.test"), (one, "r5@one.test")]:
        copies = receiver.delivered_to(rcpt)
        assert len(copies) == 1, f"{rcpt} got {len(copies)} copies: {copies}"
    # Recipients delivered before the restart were not even offered again.
    assert one.rcpt_attempts("r1@one.test") == [250]
    assert one.rcpt_attempts("r2@one.test") == [250]
    assert one.rcpt_attempts("r5@one.test") == [250]
    assert one.rcpt_attempts("r3@one.test") == [450, 250]
    assert two.rcpt_attempts("r4@two.test") == [451, 250]
    assert h.queue_ids() == set()


def test_mail_deferred_while_the_mx_is_down_is_delivered_once_after_restart(
        make_herald, dns_zone, smtp_receiver):
    port = free_port_on([MX1])
    h = make_herald(**delivery_config(dns_zone(ZONE), port, retry=["1h"]))
    ids = [send(h, f"s{n}@client.test", [f"r{n}@one.test"]) for n in range(5)]
    # Nothing listens on the MX yet: every message is deferred.
    h.wait_for(lambda: all(h.events(i, "==") for i in ids), what="all deferred")
    assert h.stop() == 0
    one = smtp_receiver(MX1, port)
    h.start()
    assert h.cli("queue", "flush").returncode == 0
    h.wait_for(lambda: all(h.completed(i) for i in ids), what="all Completed")
    for n in range(5):
        assert len(one.delivered_to(f"r{n}@one.test")) == 1
    assert len(one.messages()) == 5
