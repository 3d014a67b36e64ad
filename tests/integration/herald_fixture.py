"""A Herald server under test: config written from keyword arguments, process control,
free loopback ports, and readers for its logs and queue.

Every Herald runs in its own working directory (the test's tmp_path), so the relative
paths of the config put the spool in <dir>/var/spool and the logs in <dir>/var/log.
"""
import json
import mailbox
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import time
from pathlib import Path

from ports import free_port_for

REPO = Path(__file__).resolve().parents[2]
HERALD_BIN = os.environ.get("HERALD_BIN") or str(REPO / "build" / "herald")
HOSTNAME = "mail.herald.test"
START_DEADLINE = 30.0
STOP_DEADLINE = 30.0
# A transport that can never deliver: every attempt is deferred, so messages stay queued.
STUCK_PATH = "/dev/null/nowhere/{user}"

# The mailboxes the tests' local domains have ([local] recipients): any other local part is
# refused at RCPT with 550 5.1.1.
LOCAL_USERS = ["alice", "bob", "carol", "dave", "root", "cron", "sender", "user", "victim"]

QUEUED_AS = re.compile(r"queued as (\S+)")


def free_port():
    """A loopback TCP port that was free a moment ago (ports.py says where it comes from)."""
    return free_port_for((socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1"))


def wait_for(predicate, timeout=30.0, interval=0.05, what="condition"):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def queued_id(reply_text):
    """The queue id from a '250 2.0.0 Ok: queued as ID' reply (bytes or str)."""
    if isinstance(reply_text, bytes):
        reply_text = reply_text.decode("utf-8", "replace")
    match = QUEUED_AS.search(reply_text)
    assert match, f"no 'queued as ID' in {reply_text!r}"
    return match.group(1)


def maildir_count(path):
    """Messages in the maildir at path; 0 while it is not (yet) a whole maildir."""
    path = Path(path)
    if not all((path / sub).is_dir() for sub in ("new", "cur", "tmp")):
        return 0
    return len(mailbox.Maildir(path, create=False))


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def render_toml(doc):
    """doc: {section: {key: value}} for [section], {section: [{...}, ...]} for [[section]]."""
    out = []
    for section, body in doc.items():
        if isinstance(body, dict):
            out.append(f"[{section}]")
            out.extend(f"{k} = {_toml_value(v)}" for k, v in body.items())
            out.append("")
        else:
            for table in body:
                out.append(f"[[{section}]]")
                out.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
                out.append("")
    return "\n".join(out)


def stuck_queue_config():
    """Config sections that keep every message queued (deferred, retried only in an hour)."""
    return {
        "transport": [{"name": "stuck", "type": "maildir", "path": STUCK_PATH}],
        "route": [{"sender": "*", "transport": "stuck"}],
        "queue": {"retry": ["1h"], "max_age": "5d"},
    }


# The Herald whose admin API listens on a port: admin_token_for(port) finds its token.
ADMIN_SERVERS = {}


def admin_token_for(port):
    """The bearer token of the Herald last started with [admin] http on `port`."""
    return ADMIN_SERVERS[port].admin_token()


class HeraldExited(AssertionError):
    """Herald exited before it was serving; returncode is its exit status (-9: SIGKILL)."""

    def __init__(self, returncode, output):
        super().__init__(f"herald exited with {returncode} at start-up\n{output}")
        self.returncode = returncode


class Herald:
    """One Herald process.

    listeners: modes, one listener each on a free 127.0.0.1 port, e.g. ("relay", "submission").
    sections: TOML sections by name; a dict merges into the defaults of [section], a list is
    an array of tables ([[user]], [[transport]], [[route]]).
    """

    def __init__(self, workdir, listeners=("relay",), **sections):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.listeners = [(mode, free_port()) for mode in listeners]
        self.config = {
            "server": {"hostname": HOSTNAME, "spool_dir": "var/spool", "log_dir": "var/log"},
            "listener": [{"address": f"127.0.0.1:{port}", "mode": mode}
                         for mode, port in self.listeners],
            # Nothing leaves loopback: a test that wants DNS names its test server, one that
            # wants preflight turns it on; otherwise lookups go to a port where none answers.
            "dns": {"servers": [f"127.0.0.1:{free_port()}"]},
            "preflight": {"mode": "off"},
        }
        for name, body in sections.items():
            if isinstance(body, dict) and isinstance(self.config.get(name), dict):
                self.config[name].update(body)
            else:
                self.config[name] = body
        self.config_path = self.dir / "herald.toml"
        self.spool_dir = self.dir / "var" / "spool"
        self.log_dir = self.dir / "var" / "log"
        self.proc = None
        self.starts = 0
        self.write_config()

    # -- config and paths ---------------------------------------------------------------

    def write_config(self):
        self.config_path.write_text(render_toml(self.config), encoding="utf-8")

    def port(self, mode="relay"):
        for m, port in self.listeners:
            if m == mode:
                return port
        raise KeyError(f"no {mode} listener")

    def path(self, relative):
        return self.dir / relative

    # -- process control ----------------------------------------------------------------

    @property
    def stdout_path(self):
        return self.dir / f"herald.stdout.{self.starts}"

    @property
    def stderr_path(self):
        return self.dir / f"herald.stderr.{self.starts}"

    def start(self, env=None):
        """Starts Herald and waits until it serves. env: variables added to its environment
        (an LD_PRELOAD shim, say). A Herald that exits meanwhile raises HeraldExited."""
        assert self.proc is None, "already running"
        self.starts += 1
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [HERALD_BIN, "serve", "--allow-root", "--config", str(self.config_path), "--foreground"],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env={**os.environ, **env} if env else None)
        deadline = time.monotonic() + START_DEADLINE
        pending = [port for _, port in self.listeners]
        admin = self.config.get("admin", {})
        admin_port = None
        if isinstance(admin, dict) and admin.get("http"):
            admin_port = int(admin["http"].rsplit(":", 1)[1])
            pending.append(admin_port)
        while pending:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise HeraldExited(code, f"stdout: {self.stdout()}\nstderr: {self.stderr()}")
            if time.monotonic() > deadline:
                self.kill9()
                raise AssertionError(f"herald did not listen on {pending} in time\n"
                                     f"stderr: {self.stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", pending[0]), timeout=1):
                    pass
                pending.pop(0)
            except OSError:
                time.sleep(0.05)
        # A port that answers may be another process's (free_port is a guess), and a Herald
        # started as root binds before it drops root: started means its start-up report,
        # printed once it is the configured user, names every listener.
        wanted = [f"127.0.0.1:{port}" for _, port in self.listeners]
        while not all(address in self.stdout() for address in wanted):
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise HeraldExited(code, f"stderr: {self.stderr()}")
            if time.monotonic() > deadline:
                self.kill9()
                raise AssertionError(f"herald did not report {wanted} in time\n"
                                     f"stdout: {self.stdout()}\nstderr: {self.stderr()}")
            time.sleep(0.05)
        if admin_port is not None:
            ADMIN_SERVERS[admin_port] = self
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait; returns the exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("herald did not stop within the deadline after SIGTERM")

    def kill9(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def stdout(self):
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    # -- the CLI ------------------------------------------------------------------------

    def cli(self, *args, input=None, timeout=60, config=True):
        """Runs `herald --config F ARGS...` in the working directory."""
        argv = [HERALD_BIN] + (["--config", str(self.config_path)] if config else []) + list(args)
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run(argv, cwd=self.dir, input=input, capture_output=True,
                              timeout=timeout)

    # -- the admin API ------------------------------------------------------------------

    def admin_token(self):
        """The admin API's bearer token: [admin] token, else the one Herald generated in
        <spool_dir>/admin.token on its first start."""
        configured = self.config.get("admin", {}).get("token")
        if configured:
            return configured
        return (self.spool_dir / "admin.token").read_text().strip()

    def queue_list_json(self):
        result = self.cli("queue", "list", "--json")
        assert result.returncode == 0, f"queue list --json failed: {result.stderr!r}"
        data = json.loads(result.stdout.decode())
        assert isinstance(data, list), f"queue list --json is not an array: {data!r}"
        return data

    def queue_ids(self):
        return {entry["id"] for entry in self.queue_list_json()}

    # -- logs ---------------------------------------------------------------------------

    def _log(self, name):
        path = self.log_dir / name
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def mainlog(self):
        return self._log("mainlog")

    def rejectlog(self):
        return self._log("rejectlog")

    def paniclog(self):
        return self._log("paniclog")

    def events(self, msg_id, marker=None):
        """mainlog lines of one message, optionally only those with `marker` (<=, =>, ==, **)."""
        lines = [l for l in self.mainlog().splitlines() if f" {msg_id} " in f"{l} "]
        if marker is not None:
            lines = [l for l in lines if f" {msg_id} {marker} " in l]
        return lines

    def completed(self, msg_id):
        return any(re.search(rf"\s{re.escape(msg_id)}\s+Completed\b", l)
                   for l in self.mainlog().splitlines())

    def wait_for_log(self, pattern, log="mainlog", timeout=30.0):
        regex = re.compile(pattern, re.M)
        return self.wait_for(lambda: regex.search(self._log(log)), timeout=timeout,
                             what=f"/{pattern}/ in {log}")

    def wait_for(self, predicate, timeout=30.0, what="condition"):
        """Polls predicate(); fails at once if the server dies meanwhile."""
        def alive_and(predicate=predicate):
            value = predicate()
            if not value:
                self.assert_alive()
            return value
        return wait_for(alive_and, timeout=timeout, what=what)

    def assert_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"herald died (exit {self.proc.returncode}); stderr:\n"
                                 f"{self.stderr()}")

    # -- clients ------------------------------------------------------------------------

    def smtp(self, mode="relay", timeout=30):
        """smtplib client, connected (implicit TLS, unverified, for submissions)."""
        if mode == "submissions":
            return smtplib.SMTP_SSL("127.0.0.1", self.port(mode), timeout=timeout,
                                    context=insecure_tls())
        return smtplib.SMTP("127.0.0.1", self.port(mode), timeout=timeout)

    def raw(self, mode="relay", timeout=30):
        return RawSmtp(self.port(mode), timeout=timeout,
                       implicit_tls=(mode == "submissions"))

    def swaks(self, *args, mode="relay", timeout=60):
        argv = ["swaks", "--server", "127.0.0.1", "--port", str(self.port(mode)),
                "--helo", "client.herald.test", "--timeout", "30"] + list(args)
        return subprocess.run(argv, capture_output=True, timeout=timeout, text=True)


def insecure_tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RawSmtp:
    """A byte-exact SMTP client: send what you like, read replies one at a time."""

    def __init__(self, port, timeout=30, implicit_tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if implicit_tls:
            self.sock = insecure_tls().wrap_socket(self.sock)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unparsed {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """One (possibly multi-line) reply: (code, [texts]), texts without the 'NNN-' prefix."""
        texts = []
        while True:
            line = self._line()
            assert re.match(r"^\d{3}[ -]", line) or re.match(r"^\d{3}$", line), \
                f"malformed reply line {line!r}"
            texts.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), texts

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed_by_peer(self, timeout=30.0):
        """True when the server closes the connection (after any pending replies)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def ehlo(self, name="client.herald.test"):
        """EHLO, expecting 250; returns the reply lines (name, then the extensions)."""
        code, texts = self.cmd(f"EHLO {name}")
        assert code == 250, (code, texts)
        return texts

    def starttls(self, context=None, server_hostname=None):
        """Sends STARTTLS, expects 220, and wraps the socket. Returns the 220 reply."""
        code, texts = self.cmd("STARTTLS")
        assert code == 220, (code, texts)
        assert self.buf == b"", f"plaintext after the 220 to STARTTLS: {self.buf!r}"
        self.sock = (context or insecure_tls()).wrap_socket(self.sock,
                                                            server_hostname=server_hostname)
        return code, texts


def message(subject="test", body="hello\r\n", sender="sender@client.herald.test",
            to="rcpt@example.net", extra_headers=()):
    """A small RFC 5322 message with CRLF line endings (str)."""
    headers = [f"From: <{sender}>", f"To: <{to}>", f"Subject: {subject}",
               "Date: Thu, 1 Jan 2026 00:00:00 +0000",
               f"Message-ID: <{time.monotonic_ns()}.{os.getpid()}@client.herald.test>"]
    headers.extend(extra_headers)
    return "\r\n".join(headers) + "\r\n\r\n" + body


def openssl_passwd(password):
    """A SHA-512 crypt(3) hash, as `mkpasswd -m sha-512` would give."""
    out = subprocess.run(["openssl", "passwd", "-6", password], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def make_ca_and_cert(directory, names=(HOSTNAME,)):
    """A private CA and a server certificate for `names` + 127.0.0.1 signed by it.
    Returns (ca_cert, cert, key) paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = d / "ca.key", d / "ca.pem"
    key, csr, cert, ext = d / "server.key", d / "server.csr", d / "server.pem", d / "san.ext"
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
        "-out", str(ca_cert), "-days", "2", "-subj", "/CN=Herald Test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
        str(csr), "-subj", f"/CN={names[0]}")
    san = ",".join([f"DNS:{n}" for n in names] + ["IP:127.0.0.1"])
    ext.write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca_cert, cert, key


# -- delivery tests ---------------------------------------------------------------------------

def delivery_config(dns, port, retry=("1h",), max_age="5d", transports=(), routes=(), mx=None,
                    **sections):
    """Config sections for delivery over SMTP: [dns] servers = [dns], an smtp transport "mx"
    (MX lookup) connecting to `port` (more keys of it in `mx`), and routes: `routes` first,
    then "*" -> mx. Extra transports come before "mx"; other sections (local, tls, ...) are
    passed through."""
    config = {
        "dns": {"servers": [dns]},
        "transport": list(transports) + [{"name": "mx", "type": "smtp", "port": port,
                                           **(mx or {})}],
        "route": list(routes) + [{"sender": "*", "transport": "mx"}],
        "queue": {"retry": list(retry), "max_age": max_age},
    }
    config.update(sections)
    return config


def send(h, sender, recipients, data=None, mode="relay"):
    """One message over SMTP (smtplib) to herald h; returns its queue id. `sender` "" is the
    null sender; `data` defaults to message() from sender to the first recipient."""
    if data is None:
        data = message(sender=sender or "mailer-daemon@client.herald.test", to=recipients[0])
    with h.smtp(mode) as s:
        s.ehlo("client.herald.test")
        return transaction(s, sender, recipients, data)


def transaction(s, sender, recipients, data):
    """One mail transaction on an open smtplib session, every reply 250; returns the queue
    id."""
    code, text = s.mail(sender)
    assert code == 250, (code, text)
    for rcpt in recipients:
        code, text = s.rcpt(rcpt)
        assert code == 250, (rcpt, code, text)
    code, text = s.data(data)
    assert code == 250, (code, text)
    return queued_id(text)
