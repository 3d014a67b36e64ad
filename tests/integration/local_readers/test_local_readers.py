"""Local delivery end to end: mail for a local domain lands in a maildir or an mbox that real
readers (Python's mailbox module, GNU mailutils frm and readmsg) read back intact."""
import mailbox
import os
import re
import shutil
import subprocess

import pytest

from herald_fixture import LOCAL_USERS, message, queued_id, wait_for

LOCAL_DOMAIN = "local.herald.test"
SENDER = "alice@client.herald.test"
# A body that an mbox writer must quote (mboxrd, RFC 4155) and a reader must unquote.
TRICKY_BODY = "From the start of a line\r\n>From quoted\r\nplain\r\n"


def send(h, rcpt, subject, body="hello\r\n"):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail(SENDER)[0] == 250
        assert s.rcpt(rcpt)[0] == 250
        code, text = s.data(message(subject=subject, body=body, sender=SENDER, to=rcpt))
        assert code == 250, text
        return queued_id(text)


def wait_delivered(h, msg_id):
    h.wait_for_log(rf"\s{re.escape(msg_id)}\s+=>\s")
    h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")


def mailutils(program, *args):
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} (mailutils) is not installed")
    return subprocess.run([path, "--no-config", *args], capture_output=True, text=True,
                          timeout=30)


@pytest.fixture
def local_herald(make_herald):
    def make(kind):
        return make_herald(local={"recipients": LOCAL_USERS, "domains": [LOCAL_DOMAIN], "mailbox": kind,
                                  "path": "var/mail/{user}"})
    return make


def test_maildir_is_read_by_python_and_mailutils(local_herald):
    h = local_herald("maildir")
    ids = [send(h, f"Bob@{LOCAL_DOMAIN}", "first"),
           send(h, f"bob@{LOCAL_DOMAIN}", "second", body=TRICKY_BODY)]
    for msg_id in ids:
        wait_delivered(h, msg_id)
    box_dir = h.path("var/mail/bob")
    assert sorted(os.listdir(box_dir)) == ["cur", "new", "tmp"]
    assert os.listdir(box_dir / "tmp") == []
    assert oct(os.stat(box_dir).st_mode & 0o777) == "0o700"

    box = mailbox.Maildir(str(box_dir), create=False)
    by_subject = {m["Subject"]: m for m in box}
    assert sorted(by_subject) == ["first", "second"]
    for m in by_subject.values():
        assert m["Return-Path"] == f"<{SENDER}>"
        assert m["Delivered-To"].lower() == f"bob@{LOCAL_DOMAIN}"
        assert "\r" not in m.as_string()
    assert by_subject["second"].get_payload() == TRICKY_BODY.replace("\r\n", "\n")

    listed = mailutils("frm", f"maildir:{box_dir}")
    assert sorted(l.split("\t")[-1] for l in listed.stdout.splitlines()) == ["first", "second"]


def test_mbox_is_read_by_python_and_mailutils(local_herald):
    h = local_herald("mbox")
    # One at a time: deliveries run in parallel, and the readers are checked by position.
    for subject, body in (("first", "hello\r\n"), ("second", TRICKY_BODY), ("third", "hello\r\n")):
        wait_delivered(h, send(h, f"carol@{LOCAL_DOMAIN}", subject, body=body))
    path = h.path("var/mail/carol")
    assert not h.path("var/mail/carol.lock").exists()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"

    messages = list(mailbox.mbox(str(path), create=False))
    assert [m["Subject"] for m in messages] == ["first", "second", "third"]
    for m in messages:
        assert m.get_from().split()[0] == SENDER
        assert m["Delivered-To"] == f"carol@{LOCAL_DOMAIN}"
    # Python does not unquote: the mboxrd quoting itself is visible here.
    assert messages[1].get_payload() == ">From the start of a line\n>>From quoted\nplain\n"

    listed = mailutils("frm", str(path))
    assert [l.split("\t")[-1] for l in listed.stdout.splitlines()] == ["first", "second",
                                                                      "third"]
    body = mailutils("readmsg", "-n", "-f", str(path), "2")
    assert body.returncode == 0, body.stderr
    assert body.stdout.startswith("From the start of a line\n>From quoted\nplain\n")


def test_mbox_delivery_waits_for_a_reader_holding_the_dotlock(local_herald):
    h = local_herald("mbox")
    wait_delivered(h, send(h, f"dave@{LOCAL_DOMAIN}", "before"))
    lock = h.path("var/mail/dave.lock")
    lock.write_text("")  # as mail(1) would while it rewrites the mailbox
    msg_id = send(h, f"dave@{LOCAL_DOMAIN}", "during")
    h.wait_for_log(rf"\s{re.escape(msg_id)}\s+==\s", timeout=60)  # deferred, not failed
    assert [m["Subject"] for m in mailbox.mbox(str(h.path("var/mail/dave")))] == ["before"]
    lock.unlink()
    assert h.cli("queue", "flush").returncode == 0
    wait_delivered(h, msg_id)
    assert [m["Subject"] for m in mailbox.mbox(str(h.path("var/mail/dave")))] == ["before",
                                                                                 "during"]
