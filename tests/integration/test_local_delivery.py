"""Local domains: delivered to a maildir or an mbox, read back with real readers
(Python's mailbox module for both, GNU mailutils `mail` for the mbox)."""
import mailbox
import os
import re
import subprocess

import pytest

from herald_fixture import LOCAL_USERS, HOSTNAME, message, openssl_passwd, queued_id

LOCAL = "local.herald.test"
UTF8_LINE = "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \u65e5\u672c\u8a9e"
# smtplib dot-stuffs (RFC 5321 4.5.2): ".dot first" goes out as "..dot first", "." as "..";
# Herald must take exactly one dot off again.
BODY_SENT = f"first line\r\n.dot first\r\n.\r\n{UTF8_LINE}\r\nlast line\r\n"
BODY_LINES = ["first line", ".dot first", ".", UTF8_LINE, "last line"]


def local(mailbox_kind):
    return {"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": mailbox_kind, "path": "var/mail/{user}"}


def send(h, rcpts, subject, body=BODY_SENT, mode="relay", login=None, headers=None):
    with h.smtp(mode) as s:
        s.ehlo("client.herald.test")
        if login:
            s.login(*login)
        sender = "alice@client.herald.test"
        s.mail(sender, ["BODY=8BITMIME"])
        for r in rcpts:
            code, text = s.rcpt(r)
            assert code == 250, (r, code, text)
        data = headers if headers is not None else message(subject=subject, body=body,
                                                           sender=sender, to=rcpts[0])
        code, text = s.data(data.encode("utf-8"))
        assert code == 250, text
        msg_id = queued_id(text)
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    return msg_id


def maildir_messages(h, user):
    box = mailbox.Maildir(h.path(f"var/mail/{user}"), create=False)
    return [box.get_bytes(k) for k in sorted(box.keys())], box


def body_lines(raw):
    text = raw.decode("utf-8").replace("\r\n", "\n")
    return text.split("\n\n", 1)[1].rstrip("\n").split("\n")


def test_maildir_delivery_read_by_maildir_reader(make_herald):
    h = make_herald(relay={"networks": []}, local=local("maildir"))
    msg_id = send(h, [f"bob@{LOCAL}", f"carol@{LOCAL}"], "to the maildir")
    assert len(h.events(msg_id, "=>")) == 2
    for user in ("bob", "carol"):
        d = h.path(f"var/mail/{user}")
        assert (d / "new").is_dir() and (d / "cur").is_dir() and (d / "tmp").is_dir()
        assert list((d / "tmp").iterdir()) == [], "a leftover in tmp/"
        raws, box = maildir_messages(h, user)
        assert len(raws) == 1, raws
        msg = next(iter(box))
        assert msg["Subject"] == "to the maildir"
        assert body_lines(raws[0]) == BODY_LINES
        received = msg.get_all("Received")
        assert received and HOSTNAME in received[0], received
        assert "127.0.0.1" in received[0], "relay mode must not mask the client"


def test_mbox_delivery_read_by_python_and_mailutils(make_herald):
    h = make_herald(local=local("mbox"))
    send(h, [f"bob@{LOCAL}"], "first of two")
    # A body line starting with "From " must not start a new message in the mbox.
    send(h, [f"bob@{LOCAL}"], "second of two", body="From here on\r\nit goes\r\n>From quoted\r\n")
    path = h.path("var/mail/bob")
    assert path.is_file()

    box = mailbox.mbox(path, create=False)
    messages = list(box)
    assert [m["Subject"] for m in messages] == ["first of two", "second of two"]
    first = messages[0].as_bytes()
    assert UTF8_LINE.encode() in first and b".dot first" in first

    env = dict(os.environ, MAILRC="/dev/null", LC_ALL="C.UTF-8")
    headers = subprocess.run(["mail", "-N", "-f", str(path), "-H"], capture_output=True,
                             text=True, env=env, timeout=30)
    assert headers.returncode == 0, headers.stderr
    lines = [l for l in headers.stdout.splitlines() if l.strip()]
    assert len(lines) == 2, headers.stdout
    assert "first of two" in lines[0] and "second of two" in lines[1], headers.stdout

    shown = subprocess.run(["mail", "-N", "-f", str(path)], input="print 2\nquit\n",
                           capture_output=True, text=True, env=env, timeout=30)
    assert "here on" in shown.stdout and "it goes" in shown.stdout, shown.stdout + shown.stderr


@pytest.mark.parametrize("mask", [True, False])
def test_submission_masks_client_and_adds_message_id_and_date(make_herald, mask):
    users = [{"name": "alice", "password_hash": openssl_passwd("pw-alice"),
              "sender_domains": ["client.herald.test"]}]
    h = make_herald(listeners=("submission",), user=users, local=local("maildir"),
                    relay={"mask_client_ip": mask},
                    smtp={"allow_plaintext_auth_on_loopback": True})
    bare = ("From: <alice@client.herald.test>\r\nTo: <bob@local.herald.test>\r\n"
            "Subject: no ids\r\n\r\nhello\r\n")
    send(h, [f"bob@{LOCAL}"], "no ids", mode="submission", login=("alice", "pw-alice"),
         headers=bare)
    raws, box = maildir_messages(h, "bob")
    msg = next(iter(box))
    assert msg["Message-ID"] and re.match(r"^<[^<>@\s]+@[^<>@\s]+>$", msg["Message-ID"].strip())
    assert msg["Date"]
    received = msg.get_all("Received")
    assert received and HOSTNAME in received[0]
    if mask:
        assert "127.0.0.1" not in received[0], f"client IP not masked: {received[0]}"
    else:
        assert "127.0.0.1" in received[0], received[0]


def test_a_reload_turns_masking_off_for_the_next_message(make_herald):
    users = [{"name": "alice", "password_hash": openssl_passwd("pw-alice"),
              "sender_domains": ["client.herald.test"]}]
    h = make_herald(listeners=("submission",), user=users, local=local("maildir"),
                    relay={"mask_client_ip": True},
                    smtp={"allow_plaintext_auth_on_loopback": True})
    h.config["relay"] = {"mask_client_ip": False}
    h.write_config()
    assert h.cli("reload").returncode == 0
    send(h, [f"bob@{LOCAL}"], "after the reload", mode="submission", login=("alice", "pw-alice"))
    raws, box = maildir_messages(h, "bob")
    assert "127.0.0.1" in next(iter(box)).get_all("Received")[0]


@pytest.mark.parametrize("user", ["../escape", "..", "a/../../b"])
def test_unsafe_local_parts_never_escape_the_mail_directory(make_herald, user):
    h = make_herald(local=local("maildir"))
    with h.raw() as c:
        c.reply()
        c.ehlo()
        c.cmd("MAIL FROM:<alice@client.herald.test>")
        code, _ = c.cmd(f'RCPT TO:<"{user}"@{LOCAL}>' if "/" in user else
                        f"RCPT TO:<{user}@{LOCAL}>")
        if code == 250:
            assert c.cmd("DATA")[0] == 354
            code, texts = c.cmd(message(subject="escape") + ".")
            assert code == 250
            msg_id = queued_id(texts[-1])
            h.wait_for(lambda: h.events(msg_id, "**") or h.events(msg_id, "=>"),
                       what="a result for the unsafe name")
    inside = h.path("var/mail").resolve()
    for root, dirs, _ in os.walk(h.dir):
        if {"new", "cur", "tmp"} <= set(dirs):
            where = (h.dir / root).resolve()
            assert inside in where.parents, f"a maildir outside var/mail: {where}"
