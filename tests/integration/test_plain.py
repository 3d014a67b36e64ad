"""Plain SMTP on a relay listener, with swaks and smtplib: accepted, queued, logged."""
import re

from herald_fixture import HOSTNAME, message, queued_id

ENHANCED = re.compile(r"^[245]\.\d{1,3}\.\d{1,3} ")


def test_swaks_message_is_queued_logged_and_completed(make_herald):
    h = make_herald()
    result = h.swaks("--from", "alice@client.herald.test", "--to", "bob@example.net",
                     "--header", "Subject: swaks plain")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"220 {HOSTNAME} ESMTP Herald" in result.stdout
    msg_id = queued_id(result.stdout)
    h.wait_for_log(rf"\s{re.escape(msg_id)}\s+<=\s+<?alice@client\.herald\.test")
    # The default route is the null transport: delivered (discarded) at once, then Completed.
    delivered = h.wait_for_log(rf"\s{re.escape(msg_id)}\s+=>\s+.*bob@example\.net.*T=null")
    assert delivered
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_smtplib_greeting_ehlo_and_replies_with_enhanced_codes(make_herald):
    h = make_herald()
    with h.smtp() as s:
        code, text = s.ehlo("client.herald.test")
        assert code == 250
        assert text.decode().splitlines()[0].startswith(HOSTNAME)
        for ext in ("pipelining", "8bitmime", "enhancedstatuscodes", "smtputf8", "starttls"):
            assert s.has_extn(ext), f"EHLO lacks {ext}: {text!r}"
        assert s.has_extn("size") and int(s.esmtp_features["size"]) > 0
        # No AUTH in the clear (allow_plaintext_auth_on_loopback defaults to false).
        assert not s.has_extn("auth"), text
        code, text = s.mail("alice@client.herald.test")
        assert code == 250 and ENHANCED.match(text.decode()), text
        code, text = s.rcpt("bob@example.net")
        assert code == 250 and ENHANCED.match(text.decode()), text
        code, text = s.data(message(subject="smtplib plain"))
        assert code == 250 and text.decode().startswith("2.0.0 Ok: queued as "), text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_greeting_is_220_with_hostname(make_herald):
    h = make_herald()
    with h.raw() as c:
        code, texts = c.reply()
        assert code == 220
        assert texts[-1].startswith(f"{HOSTNAME} ESMTP Herald"), texts


def test_other_commands_answer_sensibly(make_herald):
    h = make_herald()
    with h.raw() as c:
        c.reply()
        code, _ = c.cmd("HELO client.herald.test")
        assert code == 250
        assert c.cmd("NOOP")[0] == 250
        assert c.cmd("RSET")[0] == 250
        code, texts = c.cmd("VRFY postmaster")
        assert code == 252, texts
        assert c.cmd("HELP")[0] in (211, 214)
        code, texts = c.cmd("FROBNICATE now")
        assert code in (500, 502), texts
        assert ENHANCED.match(texts[0]), texts
        # DATA without MAIL/RCPT is a sequence error.
        code, texts = c.cmd("DATA")
        assert code == 503, texts
        code, texts = c.cmd("QUIT")
        assert code == 221, texts


def test_several_messages_get_distinct_ids(make_herald):
    h = make_herald()
    ids = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for n in range(5):
            s.mail("alice@client.herald.test")
            s.rcpt(f"r{n}@example.net")
            code, text = s.data(message(subject=f"n{n}"))
            assert code == 250, text
            ids.append(queued_id(text))
    assert len(set(ids)) == 5, ids
    for msg_id in ids:
        h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_smtputf8_and_8bitmime_are_accepted(make_herald):
    h = make_herald()
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, text = s.mail("jos\u00e9@client.herald.test", ["SMTPUTF8", "BODY=8BITMIME"])
        assert code == 250, text
        code, text = s.rcpt("\u00fcser@example.net")
        assert code == 250, text
        body = message(subject="utf8", body="Gr\u00fc\u00dfe \u2014 \u65e5\u672c\r\n")
        code, text = s.data(body.encode("utf-8"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def test_log_lines_start_with_utc_iso8601_timestamps(make_herald):
    h = make_herald()
    result = h.swaks("--from", "alice@client.herald.test", "--to", "bob@example.net")
    msg_id = queued_id(result.stdout)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    h.swaks("--from", "alice@client.herald.test", "--to", "<>")  # something for rejectlog
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")
    for name, text in (("mainlog", h.mainlog()), ("rejectlog", h.rejectlog())):
        assert text, f"{name} is empty"
        for line in text.splitlines():
            assert stamp.match(line), f"{name}: {line!r}"
