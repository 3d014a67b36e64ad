"""Outbound pacing (max_messages_per_minute of an smtp transport): mail to one destination
goes out one interval apart, waits in the queue in between without a deferral or a retry,
and another destination is not held up by it."""
from datetime import datetime

from herald_fixture import send

PER_MINUTE = 120  # one every half second
MESSAGES = 6


def delivery_times(h, ids):
    times = []
    for line in h.mainlog().splitlines():
        fields = line.split(" ")
        if len(fields) > 2 and fields[1] in ids and fields[2] == "=>":
            times.append(datetime.fromisoformat(fields[0].replace("Z", "+00:00")))
    return sorted(times)


def test_a_paced_destination_gets_one_message_an_interval(make_herald, smtp_receiver):
    receiver = smtp_receiver()
    h = make_herald(transport=[{"name": "paced", "type": "smtp", "host": "127.0.0.1",
                                "port": receiver.port, "tls": "none",
                                "max_messages_per_minute": PER_MINUTE},
                               {"name": "free", "type": "smtp", "host": "127.0.0.1",
                                "port": receiver.port, "tls": "none"}],
                    route=[{"sender": "*@paced.herald.test", "transport": "paced"},
                           {"sender": "*", "transport": "free"}],
                    queue={"retry": ["1h"], "max_age": "1d"})
    paced = [send(h, "news@paced.herald.test", ["reader@example.net"]) for _ in range(MESSAGES)]
    free = send(h, "other@client.herald.test", ["reader@example.net"])
    h.wait_for(lambda: h.completed(free), what="the unpaced message")
    h.wait_for(lambda: all(h.completed(i) for i in paced), what="every paced message")
    assert len(receiver.messages()) == MESSAGES + 1
    mainlog = h.mainlog()
    assert " == " not in mainlog, mainlog  # waiting for the pace is not a deferral
    times = delivery_times(h, set(paced))
    assert len(times) == MESSAGES, mainlog
    interval = 60 / PER_MINUTE
    # Never faster than the pace: the sends start an interval apart; the log notes each when
    # its delivery ends, which takes a few milliseconds more or less each time.
    span = (times[-1] - times[0]).total_seconds()
    assert span >= (MESSAGES - 1) * interval - 0.1, times
