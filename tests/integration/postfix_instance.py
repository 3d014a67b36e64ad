"""A real Postfix (Debian's postfix package, 3.7) of a test's own, as a peer of Herald: its own
main.cf and master.cf, queue, data and mail directories, log file and loopback port, so that
tests can run several at once (pytest-xdist) and beside the system's Postfix, if any.

    receiver = postfix("mx.postfix.test", mailbox_domains=["postfix.test"], tls=(cert, key))
    receiver.port                 # its smtpd, on 127.0.0.1
    receiver.messages()           # what its virtual(8) agent put into the maildir, as bytes
    sender = postfix("relay.postfix.test", listen=False,
                     settings={"relayhost": f"[127.0.0.1]:{port}"})
    sender.sendmail("alice@a.test", ["bob@b.test"], data)
    sender.maillog()              # everything it logged

It is started with `postfix start` (which creates the queue directories and waits until the
master daemon is up) and stopped with `postfix stop`, after which the test waits until every
process of the instance has gone. At teardown its log must hold no fatal, panic or error line.

Postfix's daemons drop root for its mail_owner (postfix), and its virtual(8) agent writes
mailboxes as nobody: neither may enter pytest's tmp_path (mode 0700, as /tmp/pytest-of-root
is). So an instance lives in a directory of its own under /tmp, linked from tmp_path as
postfixN, and removed after a passing test.
"""
import contextlib
import mailbox
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from herald_fixture import free_port, wait_for

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
SENDMAIL = "/usr/sbin/sendmail"
STOP_DEADLINE = 30.0
# Owns the delivered mail: virtual(8) refuses root (virtual_minimum_uid).
MAILBOX_OWNER = pwd.getpwnam("nobody")

# The services the instance's mail goes through: master.cf lines after the name (type,
# private, unpriv, chroot, wakeup, maxproc, command), none chrooted, so that nothing needs
# copies of /etc in the queue directory.
SERVICES = {
    "pickup": "unix n - n 60 1 pickup",
    "cleanup": "unix n - n - 0 cleanup",
    "qmgr": "unix n - n 300 1 qmgr",
    "tlsmgr": "unix - - n 1000? 1 tlsmgr",
    "rewrite": "unix - - n - - trivial-rewrite",
    "bounce": "unix - - n - 0 bounce",
    "defer": "unix - - n - 0 bounce",
    "trace": "unix - - n - 0 bounce",
    "flush": "unix n - n 1000? 0 flush",
    "smtp": "unix - - n - - smtp",
    "error": "unix - - n - - error",
    "retry": "unix - - n - - error",
    "virtual": "unix - n n - - virtual",
    "anvil": "unix - - n - 1 anvil",
    "scache": "unix - - n - 1 scache",
    # maillog_file is written by postlogd (Postfix 3.4+).
    "postlog": "unix-dgram n - n - 1 postlogd",
}


class PostfixInstance:
    """One Postfix in `root` (a directory that mail_owner and nobody may enter).

    hostname: myhostname, its EHLO name and greeting.
    listen: run smtpd on 127.0.0.1:self.port.
    mailbox_domains: domains its virtual(8) agent delivers, every address into one maildir.
    tls: (cert, key) for smtpd's STARTTLS (smtpd_tls_security_level = may).
    settings: more main.cf parameters (relayhost, debug_peer_list, ...).
    """

    def __init__(self, root, hostname, listen=True, mailbox_domains=(), tls=None,
                 settings=None):
        self.root = Path(root)
        self.config_dir = self.root / "etc"
        self.queue_dir = self.root / "queue"
        self.mail_dir = self.root / "mail"
        self.maildir = self.mail_dir / "maildir"
        self.maillog_path = self.root / "maillog"
        self.port = free_port() if listen else None
        self.master_pid = None
        self.settings = {
            # Today's defaults, without the warnings about older ones.
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            # postfix start creates it, owned by mail_owner as Postfix wants it.
            "data_directory": str(self.root / "data"),
            "syslog_name": f"postfix-{self.root.name}",
            "maillog_file": str(self.maillog_path),
            # Postfix writes its log only below these (default /var and /dev/stdout).
            "maillog_file_prefixes": str(self.root),
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": hostname,
            # No local(8) delivery: no aliases, no system accounts as recipients.
            "mydestination": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
        }
        if mailbox_domains:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            os.chown(self.mail_dir, MAILBOX_OWNER.pw_uid, MAILBOX_OWNER.pw_gid)
            self.settings.update({
                "virtual_mailbox_domains": ", ".join(mailbox_domains),
                "virtual_mailbox_base": str(self.mail_dir),
                # A trailing slash makes it a maildir.
                "virtual_mailbox_maps": f"static:{self.maildir.name}/",
                "virtual_uid_maps": f"static:{MAILBOX_OWNER.pw_uid}",
                "virtual_gid_maps": f"static:{MAILBOX_OWNER.pw_gid}",
            })
        if tls:
            cert, key = tls
            self.settings.update({"smtpd_tls_security_level": "may",
                                  "smtpd_tls_cert_file": str(cert),
                                  "smtpd_tls_key_file": str(key)})
        self.settings.update(settings or {})

    # -- config -------------------------------------------------------------------------

    def write_config(self):
        self.config_dir.mkdir(parents=True, exist_ok=True)
        # Root's, as Postfix wants it; postfix start creates what is inside.
        self.queue_dir.mkdir(mode=0o755, exist_ok=True)
        main = "".join(f"{name} = {value}\n" for name, value in self.settings.items())
        (self.config_dir / "main.cf").write_text(main)
        services = dict(SERVICES)
        if self.port is not None:
            services[f"127.0.0.1:{self.port}"] = "inet n - n - - smtpd"
        master = "".join(f"{name} {line}\n" for name, line in services.items())
        (self.config_dir / "master.cf").write_text(master)
        # postconf warns about a parameter it does not know (a typo here) or a bad value.
        check = subprocess.run([POSTCONF, "-c", str(self.config_dir), "-n"],
                               capture_output=True, text=True)
        assert check.returncode == 0 and not check.stderr, \
            f"postconf rejected the config:\n{check.stderr}\n{main}"

    # -- process control ----------------------------------------------------------------

    def postfix(self, command):
        """`postfix -c DIR command`; its messages go to the maillog, not to a pipe."""
        return subprocess.run([POSTFIX, "-c", str(self.config_dir), command],
                              capture_output=True, text=True, timeout=60)

    def start(self):
        assert self.master_pid is None, "already running"
        self.write_config()
        started = self.postfix("start")
        assert started.returncode == 0, \
            f"postfix start failed:\n{started.stdout}{started.stderr}\n{self.maillog()}"
        self.master_pid = int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        return self

    def stop(self):
        """postfix stop, then waits until every process of the instance has exited: the
        master leads their process group."""
        if self.master_pid is None:
            return
        group, self.master_pid = self.master_pid, None
        self.postfix("stop")
        try:
            wait_for(lambda: not process_group_alive(group), timeout=STOP_DEADLINE,
                     what=f"the processes of the Postfix in {self.root} to exit")
        except AssertionError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            raise

    # -- mail and logs ------------------------------------------------------------------

    def sendmail(self, sender, recipients, data):
        """Postfix's sendmail(1) with this instance's config; `data` with LF line ends."""
        if isinstance(data, str):
            data = data.encode()
        # -i: a line of one dot is text, not the end of the input.
        result = subprocess.run([SENDMAIL, "-C", str(self.config_dir), "-i", "-f", sender,
                                 "--", *recipients], input=data, capture_output=True,
                                timeout=60)
        assert result.returncode == 0, f"sendmail failed: {result.stderr!r}\n{self.maillog()}"

    def messages(self):
        """The messages delivered into the maildir, as bytes, oldest first."""
        if not (self.maildir / "new").is_dir():
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        return [box.get_bytes(key) for key in sorted(box.keys())]

    def maillog(self):
        return self.maillog_path.read_text(errors="replace") \
            if self.maillog_path.exists() else ""

    def wait_for_log(self, pattern, timeout=30.0):
        """The first match of `pattern` (a regex, one line) in the maillog, once there."""
        regex = re.compile(pattern, re.M)
        return wait_for(lambda: regex.search(self.maillog()), timeout=timeout,
                        what=f"/{pattern}/ in the maillog of the Postfix in {self.root}")

    def troubles(self):
        """Log lines of errors that should never happen in a test."""
        return [line for line in self.maillog().splitlines()
                if re.search(r"\]: (fatal|panic|error): ", line)]


def process_group_alive(group):
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def postfix(tmp_path, request):
    """postfix(hostname, listen=True, mailbox_domains=(), tls=None, settings=None) -> a
    started PostfixInstance. Stopped at teardown, where its maillog must hold no fatal
    error, panic or error line."""
    started = []

    def start(hostname, **options):
        root = Path(tempfile.mkdtemp(prefix="herald-postfix-", dir="/tmp"))
        os.chmod(root, 0o755)  # for mail_owner and nobody: see the module docstring
        (tmp_path / f"postfix{len(started)}").symlink_to(root)
        instance = PostfixInstance(root, hostname, **options)
        started.append(instance)
        return instance.start()

    yield start
    problems = []
    for instance in started:
        try:
            instance.stop()
        except AssertionError as e:
            problems.append(str(e))
        problems.extend(instance.troubles())
    assert not problems, problems
    if getattr(request.node, "herald_call_passed", False):
        # As conftest does with Herald's spools: a failing test keeps everything.
        for instance in started:
            shutil.rmtree(instance.root, ignore_errors=True)
