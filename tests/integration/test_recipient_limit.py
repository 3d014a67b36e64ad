"""max_recipients: RCPT beyond the limit gets 452 4.5.3; the rest of the message goes on."""
from herald_fixture import message, queued_id


def test_recipients_over_limit_get_452_and_the_first_ones_are_delivered(make_herald):
    h = make_herald(limits={"max_recipients": 3})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("a@client.herald.test")
        for n in range(3):
            assert s.rcpt(f"r{n}@example.net")[0] == 250
        for n in range(3, 5):
            code, text = s.rcpt(f"r{n}@example.net")
            assert code == 452 and text.startswith(b"4.5.3"), (code, text)
        code, text = s.data(message())
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    delivered = h.events(msg_id, "=>")
    assert len(delivered) == 3, delivered
    assert not any("r3@" in l or "r4@" in l for l in h.events(msg_id)), h.events(msg_id)


def test_limit_applies_per_transaction(make_herald):
    h = make_herald(limits={"max_recipients": 2})
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for _ in range(2):
            s.mail("a@client.herald.test")
            assert s.rcpt("x@example.net")[0] == 250
            assert s.rcpt("y@example.net")[0] == 250
            assert s.rcpt("z@example.net")[0] == 452
            assert s.data(message())[0] == 250
