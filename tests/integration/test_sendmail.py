"""herald sendmail: sendmail(1)-style injection (-t, -f, -i) into the queue."""
import json
import mailbox
import os
import re
import signal
import socket
import subprocess

from herald_fixture import HERALD_BIN, LOCAL_USERS, maildir_count, wait_for

LOCAL = "local.herald.test"


def start(make_herald, **kw):
    return make_herald(local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
                              "path": "var/mail/{user}"}, **kw)


def inbox(h, user, count=1):
    path = h.path(f"var/mail/{user}")
    wait_for(lambda: maildir_count(path) >= count, what=f"{count} message(s) for {user}")
    box = mailbox.Maildir(path, create=False)
    return [box[k] for k in sorted(box.keys())]


def arrivals(h):
    return [l for l in h.mainlog().splitlines() if " <= " in l]


def test_t_takes_recipients_from_headers_and_drops_bcc(make_herald):
    h = start(make_herald)
    msg = (f"From: Alice <alice@{LOCAL}>\nTo: bob@{LOCAL}\nCc: Carol <carol@{LOCAL}>\n"
           f"Bcc: dave@{LOCAL}\nSubject: via sendmail -t\n\nhello from sendmail\n")
    result = h.cli("sendmail", "-t", input=msg)
    assert result.returncode == 0, result.stderr
    for user in ("bob", "carol", "dave"):
        [m] = inbox(h, user)
        assert m["Subject"] == "via sendmail -t"
        assert m["Bcc"] is None, f"Bcc header delivered to {user}"
        assert "hello from sendmail" in m.get_payload()
    assert len(arrivals(h)) == 1


def test_config_after_the_subcommand_and_f_sets_the_sender(make_herald):
    h = start(make_herald)
    result = h.cli("sendmail", "--config", str(h.config_path), "-f", f"sender@{LOCAL}",
                   f"bob@{LOCAL}", config=False, input="Subject: with -f\n\nbody\n")
    assert result.returncode == 0, result.stderr
    [m] = inbox(h, "bob")
    assert m["Subject"] == "with -f"
    [line] = arrivals(h)
    assert f"sender@{LOCAL}" in line, line


def test_dot_ends_the_message_unless_i(make_herald):
    h = start(make_herald)
    text = "Subject: dots\n\nbefore\n.\nafter\n"
    assert h.cli("sendmail", f"bob@{LOCAL}", input=text).returncode == 0
    [m] = inbox(h, "bob")
    assert "before" in m.get_payload() and "after" not in m.get_payload()
    assert h.cli("sendmail", "-i", f"carol@{LOCAL}", input=text).returncode == 0
    [m] = inbox(h, "carol")
    payload = m.get_payload()
    assert re.search(r"before\r?\n\.\r?\nafter", payload), payload


def test_queued_while_the_server_is_down_and_delivered_when_it_starts(make_herald):
    h = start(make_herald)
    h.stop()  # the spool exists, nobody serves it: root queues directly
    result = h.cli("sendmail", f"bob@{LOCAL}", input="Subject: offline\n\nqueued\n")
    assert result.returncode == 0, result.stderr
    assert len(arrivals(h)) == 1
    h.start()
    [m] = inbox(h, "bob")
    assert m["Subject"] == "offline"


def test_through_the_socket_while_the_server_runs(make_herald):
    h = start(make_herald)
    assert (h.spool_dir / "sendmail.sock").is_socket()
    result = h.cli("sendmail", "-F", "Cron Daemon", f"bob@{LOCAL}", input="Subject: live\n\nx\n")
    assert result.returncode == 0, result.stderr
    [m] = inbox(h, "bob")
    assert "Cron Daemon" in m["From"] and "<root@" in m["From"], m["From"]
    [line] = arrivals(h)
    assert "P=local" in line, line


def test_never_creates_a_spool_of_its_own(make_herald, tmp_path):
    h = start(make_herald, start=False)  # configured, never started: no spool yet
    result = h.cli("sendmail", f"bob@{LOCAL}", input="Subject: stranded?\n\nx\n")
    assert result.returncode == 75, result
    assert b"no spool at" in result.stderr, result.stderr
    assert not h.spool_dir.exists()


def test_no_recipients_is_an_error(make_herald):
    h = start(make_herald)
    result = h.cli("sendmail", input="Subject: nobody\n\nx\n")
    assert result.returncode != 0
    assert result.stderr.strip()
    assert arrivals(h) == []


def test_message_id_and_date_are_added(make_herald):
    h = start(make_herald)
    assert h.cli("sendmail", f"bob@{LOCAL}", input="Subject: bare\n\nx\n").returncode == 0
    [m] = inbox(h, "bob")
    assert m["Message-ID"] and m["Date"]


def test_from_is_added_when_missing_and_kept_when_present(make_herald):
    h = start(make_herald)
    assert h.cli("sendmail", "-f", f"cron@{LOCAL}", f"bob@{LOCAL}",
                 input="Subject: from cron\n\nx\n").returncode == 0
    assert h.cli("sendmail", f"bob@{LOCAL}",
                 input="From: Alice <alice@example.org>\nSubject: own\n\nx\n").returncode == 0
    by_subject = {m["Subject"]: m for m in inbox(h, "bob", count=2)}
    assert by_subject["from cron"].get_all("From") == [f"cron@{LOCAL}"]
    assert by_subject["own"].get_all("From") == ["Alice <alice@example.org>"]


def sendmail_link(tmp_path):
    link = tmp_path / "bin" / "sendmail"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(HERALD_BIN)
    return link


def test_invoked_as_sendmail_through_a_symlink(make_herald, tmp_path):
    h = start(make_herald)
    link = sendmail_link(tmp_path)
    result = subprocess.run([str(link), "-C", str(h.config_path), "-f", f"root@{LOCAL}",
                             f"bob@{LOCAL}"], input=b"Subject: symlinked\n\nhi\n",
                            capture_output=True, cwd=h.dir, timeout=30)
    assert result.returncode == 0, result.stderr
    env = dict(os.environ, HERALD_CONFIG=str(h.config_path))
    result = subprocess.run([str(link), "-t"], input=f"To: bob@{LOCAL}\nSubject: by env\n\nhi\n"
                            .encode(), capture_output=True, cwd=h.dir, timeout=30, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(m["Subject"] for m in inbox(h, "bob", 2)) == ["by env", "symlinked"]


def test_mailutils_mail_sends_through_herald_sendmail(make_herald, tmp_path):
    h = start(make_herald)
    link = sendmail_link(tmp_path)
    env = dict(os.environ, MAILRC="/dev/null", HERALD_CONFIG=str(h.config_path))
    result = subprocess.run(["mail", "-E", f"set sendmail=sendmail://{link}", "-s",
                             "from mail(1)", f"bob@{LOCAL}"], input=b"body from mail(1)\n",
                            capture_output=True, cwd=h.dir, timeout=30, env=env)
    assert result.returncode == 0, result.stderr
    [m] = inbox(h, "bob")
    assert m["Subject"] == "from mail(1)"
    assert "body from mail(1)" in m.get_payload()


def test_the_socket_answers_nonsense_with_a_reply_and_keeps_serving(make_herald):
    h = start(make_herald)
    path = str(h.spool_dir / "sendmail.sock")
    for request in (b"not json\n", b'{"recipients": "bob"}\n', b"\x00" * 10 + b"\n"):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(path)
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            assert s.recv(4096).startswith(b"500 5.5.2 "), request
    # A client that says nothing is dropped once [limits] data_timeout passes; meanwhile
    # others are served.
    with socket.socket(socket.AF_UNIX) as idle:
        idle.connect(path)
        result = h.cli("sendmail", f"bob@{LOCAL}", input="Subject: after nonsense\n\nx\n")
        assert result.returncode == 0, result.stderr
    [m] = inbox(h, "bob")
    assert m["Subject"] == "after nonsense"


def test_a_submission_under_way_when_herald_stops_gets_its_reply_and_is_kept(make_herald):
    h = start(make_herald)
    request = json.dumps({"sender": f"alice@{LOCAL}", "recipients": [f"bob@{LOCAL}"]})

    def taken_by_herald(client):
        """Whether Herald accepted the connection: its end of it is one of Herald's files
        (in the listener's backlog it is not yet)."""
        mine = str(os.fstat(client.fileno()).st_ino)
        lines = subprocess.run(["ss", "-xH"], capture_output=True, text=True).stdout.splitlines()
        theirs = {f"socket:[{f[5]}]" for f in map(str.split, lines) if len(f) >= 8 and f[7] == mine}
        fds = f"/proc/{h.proc.pid}/fd"
        for fd in os.listdir(fds):
            try:
                if os.readlink(f"{fds}/{fd}") in theirs:
                    return True
            except FileNotFoundError:
                pass  # closed meanwhile
        return False
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(str(h.spool_dir / "sendmail.sock"))
        s.sendall(request.encode() + b"\nSubject: mid-stop\n\n")
        # Stopped once Herald took the connection: one still in the listener's backlog
        # would go with the listener.
        h.wait_for(lambda: taken_by_herald(s), what="the connection accepted")
        h.proc.send_signal(signal.SIGTERM)
        h.wait_for_log("herald stopping")
        s.sendall(b"sent while stopping\n")
        s.shutdown(socket.SHUT_WR)
        reply = s.recv(4096)
    assert reply.startswith(b"250 "), reply
    assert h.proc.wait(timeout=30) == 0
    h.proc = None
    h.start()
    [m] = inbox(h, "bob")
    assert m["Subject"] == "mid-stop"
    assert "sent while stopping" in m.get_payload()


def test_a_message_over_the_size_limit_is_refused_with_exit_65(make_herald):
    h = start(make_herald, limits={"max_message_size": "64k"})
    big = "Subject: big\n\n" + ("x" * 999 + "\n") * 100
    result = h.cli("sendmail", f"bob@{LOCAL}", input=big)
    assert result.returncode == 65, result
    assert b"552 5.3.4" in result.stderr, result.stderr
    assert arrivals(h) == []
