"""PIPELINING (RFC 2920): replies come back in order, however the input is split."""
import random
import time

import pytest

from herald_fixture import message, queued_id

BODY = message(subject="pipelined", body="line one\r\n..dot-stuffed\r\nline three\r\n")

# Two transactions, a bad RCPT in the first, then NOOP/RSET/QUIT, all in one go.
SCRIPT = (
    "MAIL FROM:<alice@client.herald.test>\r\n"
    "RCPT TO:<one@example.net>\r\n"
    "RCPT TO:<>\r\n"
    "RCPT TO:<two@example.net>\r\n"
    "DATA\r\n" + BODY + ".\r\n"
    "MAIL FROM:<bob@client.herald.test>\r\n"
    "RCPT TO:<three@example.net>\r\n"
    "DATA\r\n" + BODY + ".\r\n"
    "NOOP\r\n"
    "RSET\r\n"
    "QUIT\r\n"
).encode()
EXPECTED = [250, 250, "5xx", 250, 354, 250, 250, 250, 354, 250, 250, 250, 221]


def replies_for(h, chunks):
    with h.raw() as c:
        assert c.reply()[0] == 220
        c.ehlo()
        for chunk in chunks:
            c.send(chunk)
            if len(chunks) > 1:
                time.sleep(0.002)  # let the pieces arrive as separate reads
        got = [c.reply() for _ in EXPECTED]
        assert c.closed_by_peer(), "no close after QUIT"
    return got


def check(got, h):
    codes = [code for code, _ in got]
    for i, (code, want) in enumerate(zip(codes, EXPECTED)):
        if want == "5xx":
            assert 500 <= code < 600, (i, codes)
        else:
            assert code == want, (i, codes)
    ids = [queued_id(got[5][1][-1]), queued_id(got[9][1][-1])]
    assert ids[0] != ids[1]
    for msg_id in ids:
        h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    assert len(h.events(ids[0], "=>")) == 2  # one and two, not the bad one
    assert len(h.events(ids[1], "=>")) == 1


def test_everything_in_one_write(make_herald):
    h = make_herald()
    check(replies_for(h, [SCRIPT]), h)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_splits(make_herald, seed):
    rng = random.Random(seed)
    chunks, i = [], 0
    while i < len(SCRIPT):
        n = rng.choice([1, 1, 2, 3, 7, 64])
        chunks.append(SCRIPT[i:i + n])
        i += n
    h = make_herald()
    check(replies_for(h, chunks), h)


def test_byte_at_a_time(make_herald):
    h = make_herald()
    check(replies_for(h, [bytes([b]) for b in SCRIPT[:400]] + [SCRIPT[400:]]), h)
