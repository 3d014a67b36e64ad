"""Hop count (RFC 5321 6.3): too many Received headers means a loop, 554 5.4.6."""
import pytest

from herald_fixture import message, queued_id


def with_received(n, name="Received"):
    hops = [f"{name}: from hop{i}.example.net (hop{i}.example.net [192.0.2.{i % 250 + 1}])\r\n"
            f"\tby hop{i + 1}.example.net with ESMTP id X{i}; Thu, 1 Jan 2026 00:00:00 +0000"
            for i in range(n)]
    return "\r\n".join(hops) + ("\r\n" if hops else "") + message(subject=f"{n} hops")


def send(h, n, name="Received"):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail("a@client.herald.test")
        s.rcpt("b@example.net")
        return s.data(with_received(n, name))


@pytest.mark.parametrize("limit,hops", [(None, 31), (None, 60), (5, 6)])
def test_too_many_received_headers_are_refused(make_herald, limit, hops):
    h = make_herald(**({"limits": {"max_received_headers": limit}} if limit else {}))
    code, text = send(h, hops)
    assert code == 554 and text.startswith(b"5.4.6"), (code, text)
    assert " <= " not in h.mainlog()


@pytest.mark.parametrize("limit,hops", [(None, 0), (None, 10), (5, 3)])
def test_few_received_headers_pass(make_herald, limit, hops):
    h = make_herald(**({"limits": {"max_received_headers": limit}} if limit else {}))
    code, text = send(h, hops)
    assert code == 250, (code, text)
    queued_id(text)


def test_header_name_case_does_not_matter(make_herald):
    h = make_herald(limits={"max_received_headers": 5})
    code, text = send(h, 6, name="rEcEiVeD")
    assert code == 554 and text.startswith(b"5.4.6"), (code, text)
