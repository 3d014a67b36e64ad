"""Started as root, Herald becomes [server] user once its listeners are bound, and still
delivers, reloads and rotates its logs; it refuses to serve as root without --allow-root, and
refuses private keys other users can read. systemd hears READY/RELOADING/STOPPING."""
import grp
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from herald_fixture import HERALD_BIN, Herald, maildir_count, queued_id, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starting as root needs root")

USER, GROUP = "nobody", "nogroup"
UID, GID = pwd.getpwnam(USER).pw_uid, grp.getgrnam(GROUP).gr_gid
LOCAL = "local.herald.test"


@pytest.fixture
def shared_dir():
    """A working directory the unprivileged user can reach: pytest's tmp_path lies under a
    0700 directory of root's, where a dropped Herald could not read its config on reload."""
    path = Path(tempfile.mkdtemp(prefix="herald-privileges-", dir="/tmp"))
    path.chmod(0o755)
    heralds = []
    yield path, heralds
    for h in heralds:
        h.stop()
    shutil.rmtree(path, ignore_errors=True)


def local_delivery():
    return {"local": {"recipients": ["bob"], "domains": [LOCAL], "mailbox": "maildir",
                      "path": "var/mail/{user}"}}


def absolute_paths(workdir, **server):
    """[server] with absolute paths, as an installed config has: sendmail runs anywhere."""
    return {"server": {"spool_dir": str(workdir / "var" / "spool"),
                       "log_dir": str(workdir / "var" / "log"), **server}}


def ids_of(pid, which):
    """The real, effective, saved and file-system ids of every thread of `pid`. A thread that
    ends meanwhile (start-up's queue loading is done on threads that then end) is skipped."""
    ids = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith(which + ":"):
                ids.update(int(v) for v in line.split()[1:])
    return ids


def owner(path):
    st = path.stat()
    return st.st_uid, st.st_gid


def send(h, to):
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        s.mail(f"app@{LOCAL}")
        s.rcpt(to)
        code, text = s.data(f"From: app@{LOCAL}\r\nTo: {to}\r\nSubject: dropped\r\n\r\nhi\r\n")
        assert code == 250, text
        return queued_id(text.decode())


def test_started_as_root_it_runs_as_the_user_and_still_works(shared_dir):
    workdir, heralds = shared_dir
    # What docs/operations.md asks of an administrator: the mailbox tree is the user's.
    (workdir / "var" / "mail").mkdir(parents=True)
    os.chown(workdir / "var" / "mail", UID, GID)
    h = Herald(workdir, server={"user": USER, "group": GROUP}, **local_delivery())
    heralds.append(h)
    h.start()
    pid = h.proc.pid
    assert ids_of(pid, "Uid") == {UID}, Path(f"/proc/{pid}/status").read_text()
    assert ids_of(pid, "Gid") == {GID}
    assert 0 not in ids_of(pid, "Groups")
    # The start-up report is printed just after the listeners are bound.
    wait_for(lambda: f"running as {USER}" in h.stdout(), what="the start-up report")

    spool, logs = h.spool_dir, h.log_dir
    assert owner(spool) == (UID, GID) and stat.S_IMODE(spool.stat().st_mode) == 0o711
    assert owner(logs) == (UID, GID) and stat.S_IMODE(logs.stat().st_mode) == 0o750
    for path in (logs / "mainlog", logs / "paniclog", spool / "control.sock", spool / "queue"):
        assert owner(path) == (UID, GID), path

    send(h, f"bob@{LOCAL}")
    mailbox = workdir / "var" / "mail" / "bob"
    wait_for(lambda: maildir_count(mailbox) == 1, what="delivery as the user")
    [delivered] = list((mailbox / "new").iterdir())
    assert owner(delivered)[0] == UID

    result = h.cli("reload")
    assert result.returncode == 0 and b"ok" in result.stdout, result
    result = h.cli("logrotate")
    assert result.returncode == 0, result
    assert (logs / "mainlog.1").exists() and owner(logs / "mainlog") == (UID, GID)
    send(h, f"bob@{LOCAL}")
    wait_for(lambda: maildir_count(mailbox) == 2, what="delivery after rotation")
    assert "reloaded" in (logs / "mainlog.1").read_text() + h.mainlog()
    version = subprocess.run([HERALD_BIN, "--version"], capture_output=True, text=True).stdout
    start_line = f"{version.strip()} started as {USER}"
    assert start_line in (logs / "mainlog.1").read_text(), start_line


def test_a_spool_left_by_root_is_handed_to_the_user(shared_dir):
    workdir, heralds = shared_dir
    h = Herald(workdir, server={}, **local_delivery())
    heralds.append(h)
    h.start()  # --allow-root, no user: everything is root's
    h.stop()
    assert owner(h.spool_dir)[0] == 0
    h.config["server"].update({"user": USER, "group": GROUP})
    h.write_config()
    h.start()
    wait_for(lambda: f"belonged to uid 0: given to {USER}" in h.stdout(), what="the hand-over")
    for path in [h.spool_dir, *h.spool_dir.rglob("*"), *h.log_dir.rglob("*")]:
        assert owner(path)[0] == UID, path


def test_serving_as_root_needs_allow_root(tmp_path):
    h = Herald(tmp_path)
    result = subprocess.run([HERALD_BIN, "serve", "--config", str(h.config_path), "--foreground"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert "refusing to serve as root" in result.stderr and "[server] user" in result.stderr
    assert not (tmp_path / "var" / "spool").exists(), "nothing is created before the refusal"


def test_an_unknown_user_is_a_config_error(tmp_path):
    h = Herald(tmp_path, server={"user": "no-such-herald-user"})
    result = h.cli("check-config")
    assert result.returncode == 2
    assert b"server.user 'no-such-herald-user' is not a user" in result.stderr, result.stderr


def test_started_as_another_user_it_must_be_the_configured_one(shared_dir):
    workdir, _ = shared_dir
    os.chown(workdir, UID, GID)
    h = Herald(workdir, server={"user": "daemon"})
    result = subprocess.run(["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups",
                             HERALD_BIN, "serve", "--config", str(h.config_path), "--foreground"],
                            cwd=workdir, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result
    assert "cannot change user" in result.stderr, result.stderr


@pytest.mark.parametrize("which", ["dkim", "tls"])
def test_a_key_other_users_can_read_is_refused(tmp_path, which):
    key = tmp_path / "private.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(tmp_path / "cert.pem"), "-subj", "/CN=localhost",
                    "-days", "2"], check=True, capture_output=True)
    sections = ({"dkim.key": [{"domain": "*", "selector": "s1", "private_key": str(key)}]}
                if which == "dkim" else
                {"tls": {"cert": str(tmp_path / "cert.pem"), "key": str(key)}})
    h = Herald(tmp_path, **sections)
    key.chmod(0o644)
    with pytest.raises(AssertionError, match="open to other users"):
        h.start()
    key.chmod(0o600)
    h.start()
    h.stop()


def test_systemd_hears_ready_reloading_and_stopping(shared_dir):
    workdir, _ = shared_dir
    h = Herald(workdir, server={"user": USER, "group": GROUP})
    notify_path = workdir / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        os.chmod(notify_path, 0o666)  # systemd's socket takes every user's messages too
        notify.settimeout(30)
        proc = subprocess.Popen([HERALD_BIN, "serve", "--config", str(h.config_path),
                                 "--foreground"], cwd=workdir, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=dict(os.environ,
                                                                 NOTIFY_SOCKET=str(notify_path)))
        try:
            assert notify.recv(4096) == b"READY=1"
            # Ready means ready: the listener answers at once.
            with socket.create_connection(("127.0.0.1", h.port()), timeout=5) as c:
                assert c.recv(3) == b"220"
            proc.send_signal(signal.SIGHUP)
            reloading = notify.recv(4096).decode()
            assert reloading.startswith("RELOADING=1\nMONOTONIC_USEC="), reloading
            assert notify.recv(4096) == b"READY=1"
            proc.send_signal(signal.SIGTERM)
            assert notify.recv(4096) == b"STOPPING=1"
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# -- sendmail for every local user (www-data calling PHP's mail()) --------------------------

def sendmail_as(uid, gid, h, *recipients, cwd="/"):
    """`herald sendmail` as another user, from another directory, finding its config through
    $HERALD_CONFIG as an installed one finds /etc/herald/herald.toml."""
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                           HERALD_BIN, "sendmail", *recipients],
                          input=b"Subject: from a local user\n\nhello\n", capture_output=True,
                          cwd=cwd, timeout=60, env=dict(os.environ, HERALD_CONFIG=str(h.config_path)))


def test_a_user_without_rights_on_the_spool_queues_through_the_server(shared_dir):
    workdir, heralds = shared_dir
    (workdir / "var" / "mail").mkdir(parents=True)
    os.chown(workdir / "var" / "mail", UID, GID)
    h = Herald(workdir, **absolute_paths(workdir, user=USER, group=GROUP), **local_delivery())
    heralds.append(h)
    h.start()
    daemon = pwd.getpwnam("daemon")
    queue = h.spool_dir / "queue"
    assert owner(queue)[0] == UID and stat.S_IMODE(queue.stat().st_mode) == 0o700
    result = sendmail_as(daemon.pw_uid, daemon.pw_gid, h, f"bob@{LOCAL}")
    assert result.returncode == 0, result.stderr
    mailbox = workdir / "var" / "mail" / "bob"
    wait_for(lambda: maildir_count(mailbox) == 1, what="delivery of daemon's message")
    [line] = [l for l in h.mainlog().splitlines() if " <= " in l]
    # Who sent it, the kernel said: not the request.
    assert "daemon@" in line and "P=local" in line, line

    h.stop()
    result = sendmail_as(daemon.pw_uid, daemon.pw_gid, h, f"bob@{LOCAL}")
    assert result.returncode == 75, result
    assert b"not queued" in result.stderr and b"herald is not running" in result.stderr
    assert not [p for p in queue.rglob("*") if p.is_file()]
    # root may still queue while the server is down, and does it as the spool's owner.
    result = subprocess.run([HERALD_BIN, "sendmail", f"bob@{LOCAL}"], cwd="/",
                            input=b"Subject: root, offline\n\nx\n", capture_output=True,
                            timeout=60, env=dict(os.environ, HERALD_CONFIG=str(h.config_path)))
    assert result.returncode == 0, result.stderr
    queued = [p for p in queue.rglob("*") if p.is_file()]
    assert queued and all(owner(p)[0] == UID for p in queued), queued
    h.start()
    wait_for(lambda: maildir_count(mailbox) == 2, what="delivery of root's offline message")
