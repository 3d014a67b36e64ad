"""SMTP smuggling: a bare LF or bare CR never ends DATA (the end is CRLF.CRLF, nothing else).

Each variant puts a fake end of data followed by a whole second transaction inside the
message, then the real end. A vulnerable server answers the smuggled commands (two
messages); Herald must answer exactly once for the message: a 5xx by default, or 250
with the bare line endings turned into CRLF when bare_line_endings = "normalize".
"""
import mailbox

import pytest

from herald_fixture import LOCAL_USERS, maildir_count, queued_id

LOCAL = "local.herald.test"
VARIANTS = {
    "lf-dot-lf": "\n.\n",
    "cr-dot-cr": "\r.\r",
    "crlf-dot-lf": "\r\n.\n",
    "lf-dot-crlf": "\n.\r\n",
    "cr-dot-crlf": "\r.\r\n",
    "crlf-dot-cr": "\r\n.\r",
}
SMUGGLED = ("MAIL FROM:<evil@evil.test>\r\n"
            f"RCPT TO:<victim@{LOCAL}>\r\n"
            "DATA\r\n"
            "Subject: smuggled\r\n\r\nevil body\r\n")


def send_with_fake_end(h, fake_end):
    """Returns the replies after 354: the one for the message, then the one for QUIT."""
    with h.raw() as c:
        assert c.reply()[0] == 220
        c.ehlo()
        assert c.cmd("MAIL FROM:<alice@client.herald.test>")[0] == 250
        assert c.cmd(f"RCPT TO:<bob@{LOCAL}>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.send("From: <alice@client.herald.test>\r\nSubject: smuggle\r\n\r\nhello"
               + fake_end + SMUGGLED + "\r\n.\r\nQUIT\r\n")
        first = c.reply()
        second = c.reply()
    return first, second


def start(make_herald, mode):
    return make_herald(local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
                              "path": "var/mail/{user}"},
                       smtp={"bare_line_endings": mode})


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_rejected_by_default(make_herald, variant):
    h = start(make_herald, "reject")
    (code, texts), (quit_code, quit_texts) = send_with_fake_end(h, VARIANTS[variant])
    assert 500 <= code < 600, f"message with bare line ending got {code} {texts}"
    assert quit_code == 221, f"the smuggled commands were answered: {quit_code} {quit_texts}"
    assert " <= " not in h.mainlog()
    assert h.rejectlog() != ""


@pytest.mark.parametrize("bare", ["\n", "\r"])
def test_bare_line_ending_in_the_header_is_rejected(make_herald, bare):
    h = start(make_herald, "reject")
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<alice@client.herald.test>")
        c.cmd(f"RCPT TO:<bob@{LOCAL}>")
        assert c.cmd("DATA")[0] == 354
        c.send(f"Subject: x{bare}X-Injected: y\r\n\r\nbody\r\n.\r\n")
        code, texts = c.reply()
        assert 500 <= code < 600, (code, texts)
        assert c.cmd("QUIT")[0] == 221
    assert " <= " not in h.mainlog()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_normalized_when_configured_as_one_message(make_herald, variant):
    h = start(make_herald, "normalize")
    (code, texts), (quit_code, quit_texts) = send_with_fake_end(h, VARIANTS[variant])
    assert code == 250, (code, texts)
    assert quit_code == 221, f"the smuggled commands were answered: {quit_code} {quit_texts}"
    box = h.path("var/mail/bob")
    h.wait_for(lambda: h.completed(queued_id(texts[-1])), what="delivery to bob")
    assert maildir_count(box) == 1
    assert not h.path("var/mail/victim").exists(), "the smuggled message was delivered"
    md = mailbox.Maildir(box, create=False)
    [key] = md.keys()
    assert md[key]["Subject"] == "smuggle"
    raw = md.get_bytes(key)
    assert b"MAIL FROM:<evil@evil.test>" in raw and b"evil body" in raw, raw
    stripped = raw.replace(b"\r\n", b"\n")
    assert b"\r" not in stripped, f"a bare CR survived normalisation: {raw!r}"
    assert len([l for l in h.mainlog().splitlines() if " <= " in l]) == 1
