"""CHUNKING/BDAT (RFC 3030, issue 22): Herald takes BDAT from a real socket client, chunks
split and pipelined as a client pleases, with the same smuggling defences as DATA; and sends
BDAT to a real receiver that offers CHUNKING (aiosmtpd taught BDAT): the octets as they are,
no dot-stuffing, no end mark. Herald to Herald shows the two halves agree."""
from herald_fixture import delivery_config, maildir_count, queued_id, send, wait_for
from test_local_delivery import LOCAL, local, maildir_messages

# A line of one dot, and one that starts with two: what DATA would stuff and unstuff.
TEXT = (b"From: <alice@client.herald.test>\r\nTo: <bob@" + LOCAL.encode() + b">\r\n"
        b"Subject: chunks\r\n\r\n.\r\n..two dots\r\nlast line\r\n")


def bdat_conversation(h, chunks):
    """EHLO, MAIL, RCPT to bob, then `chunks` (the last one LAST) pipelined in one write;
    returns the replies to the chunks."""
    with h.raw("relay") as c:
        c.reply()
        code, ehlo = c.cmd("EHLO client.herald.test")
        assert "CHUNKING" in ehlo, ehlo
        assert c.cmd("MAIL FROM:<alice@client.herald.test>")[0] == 250
        assert c.cmd(f"RCPT TO:<bob@{LOCAL}>")[0] == 250
        wire = b""
        for i, chunk in enumerate(chunks):
            last = " LAST" if i == len(chunks) - 1 else ""
            wire += f"BDAT {len(chunk)}{last}\r\n".encode() + chunk
        c.send(wire)
        return [c.reply() for _ in chunks]


def test_a_message_in_pipelined_chunks_arrives_byte_for_byte(make_herald):
    h = make_herald(local=local("maildir"))
    # Cut inside the header, inside a CRLF and inside the "..": none of it may matter.
    cuts = [TEXT[:20], TEXT[20:61], TEXT[61:62], TEXT[62:]]
    replies = bdat_conversation(h, cuts)
    assert [code for code, _ in replies] == [250, 250, 250, 250], replies
    assert replies[0][1] == ["2.0.0 20 octets received"], replies
    msg_id = queued_id(replies[-1][1][0])
    wait_for(lambda: h.completed(msg_id), what="local delivery")
    [raw], _ = maildir_messages(h, "bob")
    body = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]
    assert body == b".\n..two dots\nlast line\n", body


def test_a_bare_line_feed_in_a_chunk_is_refused_as_in_data(make_herald):
    h = make_herald(local=local("maildir"))
    smuggled = TEXT + b"\n.\nMAIL FROM:<x@y.test>\r\n"
    [(code, texts)] = bdat_conversation(h, [smuggled])
    assert (code, texts) == (550, ["5.6.0 Bare CR or LF not allowed in message; use CRLF"])
    assert h.queue_list_json() == []
    assert not h.path("var/mail/bob").exists() or maildir_count(h.path("var/mail/bob")) == 0


def test_herald_sends_bdat_to_a_receiver_that_offers_chunking(make_herald, dns_zone,
                                                               smtp_receiver):
    receiver = smtp_receiver(offer=("CHUNKING",))
    zone = ["chunks.test. MX 10 mx.chunks.test.", "mx.chunks.test. A 127.0.0.1"]
    h = make_herald(**delivery_config(dns_zone(zone), receiver.port))
    body = "one\r\n.\r\n..two\r\n"
    msg_id = send(h, "alice@client.herald.test", ["bob@chunks.test"],
                  data=f"From: <alice@client.herald.test>\r\nSubject: s\r\n\r\n{body}")
    wait_for(lambda: h.completed(msg_id), what="delivery")
    [got] = receiver.messages()
    assert got.chunked, "the message went by DATA"
    assert got.data.endswith(body.encode()), got.data


def test_herald_to_herald_over_bdat(make_herald, dns_zone):
    inner = make_herald(local=local("maildir"))
    zone = [f"{LOCAL}. MX 10 mx.{LOCAL}.", f"mx.{LOCAL}. A 127.0.0.1"]
    outer = make_herald(**delivery_config(dns_zone(zone), inner.port("relay")))
    body = "first\r\n.\r\n..second\r\n"
    msg_id = send(outer, "alice@client.herald.test", [f"bob@{LOCAL}"],
                  data=f"From: <alice@client.herald.test>\r\nSubject: s\r\n\r\n{body}")
    line = outer.wait_for_log(rf"^\S+ {msg_id} => .*$", timeout=60).group(0)
    assert "bob@" in line, line
    wait_for(lambda: maildir_count(inner.path("var/mail/bob")) == 1, what="the inner delivery")
    [raw], _ = maildir_messages(inner, "bob")
    assert raw.replace(b"\r\n", b"\n").endswith(b"\n\nfirst\n.\n..second\n"), raw
