"""Real SMTP receivers for delivery tests, each in its own child process on a loopback
address, recording what they were given.

- SmtpReceiver: aiosmtpd (Debian's python3-aiosmtpd) in a child process running this file.
  Every event goes to a JSON-lines file: "connect", "rcpt" (each RCPT with the code
  answered), "auth", and "message" (mail from, rcpt tos, data, EHLO name, TLS, login).
  Options: STARTTLS with a certificate (self_signed_cert() makes one), AUTH PLAIN/LOGIN
  required (user, password), replies scripted per recipient ({"a@x.test": [450, 250]}: 450 on
  the first attempt, 250 from then on; the last code repeats; an entry may also be a whole
  reply line, "451 4.7.1 text"), and a greeting other than 220 (a 421 greeting, then the
  connection is closed).
  Throttling like a big mailbox provider (`throttle`), counted per client IP: a message rate
  (421 4.7.28 "rate limited" at RCPT above N messages a window), a cap on concurrent
  connections (421 4.3.2 at the greeting), and Yahoo's [TSS04] volume deferral (421 4.7.0 at
  MAIL after K messages, for a while). Each such 421 closes the connection, as the providers
  do, and is a "throttled" event.
- SmtpSink: Postfix's smtp-sink, dumping each transaction to a file (-d), chrooted into its
  own directory so that it may drop root privileges to nobody.

All receivers of an MX test listen on the same port on different loopback addresses
(127.0.0.2, 127.0.0.3, ...), since herald's smtp transport connects to one `port`.
"""
import base64
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ports import free_port_for

PYTHON = "/usr/bin/python3"
SMTP_SINK = "/usr/sbin/smtp-sink"
START_DEADLINE = 30.0

REPLY_TEXTS = {
    250: "2.1.5 Recipient ok",
    421: "4.3.2 Service shutting down (scripted)",
    450: "4.2.1 Mailbox busy, try again later (scripted)",
    451: "4.3.0 Local error, try again later (scripted)",
    452: "4.2.2 Mailbox full (scripted)",
    550: "5.1.1 No such user here (scripted)",
    551: "5.1.6 User not local (scripted)",
    552: "5.2.2 Mailbox over quota (scripted)",
    553: "5.1.3 Bad mailbox name (scripted)",
    554: "5.7.1 Rejected by policy (scripted)",
}


def free_port_on(hosts):
    """A TCP port free on every address in `hosts` a moment ago."""
    return free_port_for(*[(socket.AF_INET6 if ":" in host else socket.AF_INET,
                            socket.SOCK_STREAM, host) for host in hosts])


def self_signed_cert(directory, names=("mx.test",)):
    """A self-signed certificate for `names` (+ 127.0.0.1). Returns (cert, key) paths."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / "receiver.pem", d / "receiver.key"
    san = ",".join([f"DNS:{n}" for n in names] + ["IP:127.0.0.1"])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={names[0]}",
                    "-addext", f"subjectAltName={san}"], check=True, capture_output=True)
    return cert, key


def _wait_for_file(path, proc, what, logs):
    deadline = time.monotonic() + START_DEADLINE
    while not Path(path).exists():
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} at start-up:\n{logs()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start in time:\n{logs()}")
        time.sleep(0.05)


def _wait_for_port(host, port, proc, what, logs):
    deadline = time.monotonic() + START_DEADLINE
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} at start-up:\n{logs()}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not listen on {host}:{port} in time:\n"
                                     f"{logs()}")
            time.sleep(0.05)


def _stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Message:
    """One transaction an SmtpReceiver accepted."""

    def __init__(self, record):
        self.record = record
        self.mail_from = record["mail_from"]
        self.rcpt_tos = record["rcpt_tos"]
        self.mail_options = record["mail_options"]
        self.rcpt_options = record.get("rcpt_options", [])
        self.chunked = record["chunked"]
        self.data = base64.b64decode(record["data"])
        self.ehlo = record["ehlo"]
        self.tls = record["tls"]
        self.login = record["login"]
        self.peer = record["peer"]
        self.local = record["local"]

    def parsed(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def __repr__(self):
        return f"Message(from={self.mail_from!r}, to={self.rcpt_tos!r}, at={self.local!r})"


class SmtpReceiver:
    """aiosmtpd on `host`:`port` in a child process.

    replies: {recipient (lower case) or "*": [code, code, ...]} answered to RCPT on the 1st,
    2nd, ... attempt of that recipient; the last code repeats; unlisted recipients get 250.
    tls: (cert, key) to offer STARTTLS; require_tls refuses MAIL before it; implicit_tls
    speaks TLS from the start instead (port 465 style).
    auth: (user, password) to require AUTH PLAIN/LOGIN (over TLS only when tls is given).
    greeting: a code other than 220 (e.g. 421): said at connect, then the connection closes.
    data_delay: seconds to wait before answering the end of DATA (keeps connections open).
    hide: EHLO keywords not to offer ("8BITMIME", "SMTPUTF8"): a server that lacks them.
    offer: EHLO keywords aiosmtpd lacks, to offer too: "REQUIRETLS" (RFC 8689; the MAIL
      parameter is then taken and recorded among the message's mail_options), "DSN" (RFC 3461;
      RET= and ENVID= likewise, and RCPT's NOTIFY= and ORCPT= among its rcpt_options),
      "CHUNKING" (RFC 3030: BDAT is then taken, and the message recorded as `chunked`).
    throttle: a big provider's limits, each per client IP and each optional:
      {"messages": N, "window": seconds (default 60)}: N messages a rolling window; the RCPT
        of a transaction beyond them is answered 421 4.7.28 "... rate limited" (a message
        counts at its first accepted RCPT, so concurrent connections cannot overshoot);
      {"connections": C}: a connection beyond C open at once (one that said QUIT no longer
        counts) is greeted 421 4.3.2 ("maximum number of concurrent connections") and closed
        (a "refused" event, not a "connect");
      {"volume_after": K, "volume_for": seconds}: after K messages accepted, MAIL is answered
        421 4.7.0 [TSS04] "... temporarily deferred due to unexpected volume or user
        complaints" for that long (from the first such reply), then mail is taken again.
    Every event has "t" (time.time() in the receiver) for the *_since methods.
    """

    def __init__(self, directory, host="127.0.0.1", port=None, replies=None, tls=None,
                 require_tls=False, auth=None, greeting=None, hostname="receiver.test",
                 implicit_tls=False, data_delay=0, hide=(), offer=(), throttle=None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port_on([host])
        self.events_path = self.dir / "events.jsonl"
        self.ready_path = self.dir / "ready"
        self.log_path = self.dir / "receiver.log"
        self.settings = {
            "host": host, "port": self.port, "events": str(self.events_path),
            "ready": str(self.ready_path), "hostname": hostname,
            "replies": {k.lower(): v for k, v in (replies or {}).items()},
            "tls": [str(p) for p in tls] if tls else None, "require_tls": require_tls,
            "auth": list(auth) if auth else None, "greeting": greeting,
            "implicit_tls": implicit_tls, "data_delay": data_delay,
            "hide": [k.upper() for k in hide], "offer": [k.upper() for k in offer],
            "throttle": dict(throttle or {}),
        }
        self.proc = None

    def start(self):
        assert self.proc is None, "already running"
        settings_path = self.dir / "settings.json"
        settings_path.write_text(json.dumps(self.settings))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([PYTHON, __file__, "serve", str(settings_path)],
                                         cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log)
        _wait_for_file(self.ready_path, self.proc, f"receiver on {self.host}:{self.port}",
                       self.logs)
        return self

    def stop(self):
        _stop(self.proc)
        self.proc = None

    def logs(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def events(self, kind=None):
        if not self.events_path.exists():
            return []
        out = []
        for line in self.events_path.read_text().splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line being written
            if kind is None or event["type"] == kind:
                out.append(event)
        return out

    def messages(self):
        return [Message(e) for e in self.events("message")]

    def connections(self):
        return len(self.events("connect"))

    def max_concurrent_connections(self):
        """The most connections that were open at the same time."""
        open_now = peak = 0
        for event in self.events():
            if event["type"] == "connect":
                open_now += 1
                peak = max(peak, open_now)
            elif event["type"] == "disconnect":
                open_now -= 1
        return peak

    def max_concurrent_connections_since(self, since):
        """The most connections open at the same time when one was opened at or after
        `since` (time.time()); a connection ends at its QUIT or its end, whichever is first,
        since a client that said QUIT is done with it."""
        open_now, peak = set(), 0
        for event in self.events():
            if event["type"] == "connect":
                open_now.add(event["conn"])
                if event["t"] >= since:
                    peak = max(peak, len(open_now))
            elif event["type"] in ("quit", "disconnect"):
                open_now.discard(event["conn"])
        return peak

    def open_at_most_from(self, connections, since):
        """The first moment at or after `since` (time.time()) when at most `connections` were
        open, a connection ending at its QUIT or its end; infinity if none came."""
        open_now = set()
        for event in self.events():
            if event["t"] >= since and len(open_now) <= connections:
                return since
            if event["type"] == "connect":
                open_now.add(event["conn"])
            elif event["type"] in ("quit", "disconnect"):
                open_now.discard(event["conn"])
            if event["t"] >= since and len(open_now) <= connections:
                return event["t"]
        return since if len(open_now) <= connections else float("inf")

    def max_concurrent_transactions_since(self, since):
        """As max_concurrent_transactions, counting only transactions begun at or after
        `since` (time.time())."""
        in_progress, peak = set(), 0
        for event in self.events():
            if event["type"] == "mail":
                in_progress.add(event["conn"])
                if event["t"] >= since:
                    peak = max(peak, len(in_progress))
            elif event["type"] in ("message", "rset", "quit", "disconnect"):
                in_progress.discard(event["conn"])
        return peak

    def throttled(self, kind=None):
        """The throttle's 421 replies ("throttled" events: kind "rate", "connections" or
        "volume", the client IP, the reply)."""
        return [e for e in self.events("throttled") if kind is None or e["kind"] == kind]

    def message_ids(self):
        """The Message-ID header of every accepted transaction, in order of arrival."""
        return [m.parsed()["Message-ID"] for m in self.messages()]

    def max_concurrent_transactions(self):
        """The most mail transactions (MAIL until the end of DATA, RSET, QUIT or the end of
        the connection) that were in progress at the same time."""
        in_progress = set()
        peak = 0
        for event in self.events():
            if event["type"] == "mail":
                in_progress.add(event["conn"])
                peak = max(peak, len(in_progress))
            elif event["type"] in ("message", "rset", "quit", "disconnect"):
                in_progress.discard(event["conn"])
        return peak

    def rcpt_attempts(self, recipient):
        """The codes answered to RCPT TO of `recipient`, in order."""
        return [e["code"] for e in self.events("rcpt")
                if e["rcpt"].lower() == recipient.lower()]

    def delivered_to(self, recipient):
        """Messages that reached `recipient` (counting one per accepted transaction)."""
        return [m for m in self.messages()
                if recipient.lower() in (r.lower() for r in m.rcpt_tos)]


def _angle_address(args):
    """The address between < and > in MAIL/RCPT arguments ("<a@b> SIZE=1" -> "a@b")."""
    start, end = args.find("<"), args.find(">")
    return args[start + 1:end] if 0 <= start < end else args.strip()


class SmtpSink:
    """Postfix's smtp-sink on host:port, one dump file per transaction in <dir>/root/mail."""

    def __init__(self, directory, host="127.0.0.1", port=None, extra_args=()):
        self.dir = Path(directory)
        self.root = self.dir / "root"
        self.mail_dir = self.root / "mail"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        # smtp-sink chroots into root and then runs as nobody, who must write there.
        os.chmod(self.root, 0o755)
        os.chmod(self.mail_dir, 0o777)
        self.host = host
        self.port = port or free_port_on([host])
        self.extra_args = list(extra_args)
        self.log_path = self.dir / "smtp-sink.log"
        self.proc = None

    def start(self):
        assert self.proc is None, "already running"
        argv = [SMTP_SINK, "-u", "nobody", "-R", str(self.root), "-d", "/mail/%H%M%S.",
                "-h", "sink.test"] + self.extra_args + [f"{self.host}:{self.port}", "128"]
        if os.geteuid() != 0:
            argv = [SMTP_SINK, "-d", str(self.mail_dir) + "/%H%M%S.", "-h", "sink.test"] + \
                self.extra_args + [f"{self.host}:{self.port}", "128"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        _wait_for_port(self.host, self.port, self.proc, "smtp-sink", self.logs)
        return self

    def stop(self):
        _stop(self.proc)
        self.proc = None

    def logs(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def dumps(self):
        """The dump files: [(envelope {"mail": addr, "rcpts": [addr], "mail_args": str}, bytes)].
        A dump ends with the empty line after the message; one still being written is left
        out when it has no X-Mail-Args yet."""
        out = []
        for path in sorted(self.mail_dir.rglob("*")):
            if not path.is_file():
                continue
            raw = path.read_bytes()
            envelope = {"mail": None, "rcpts": [], "mail_args": None}
            for line in raw.split(b"\n"):
                if line.startswith(b"X-Mail-Args: "):
                    envelope["mail_args"] = line[13:].decode(errors="replace").strip()
                    envelope["mail"] = _angle_address(envelope["mail_args"])
                elif line.startswith(b"X-Rcpt-Args: "):
                    envelope["rcpts"].append(_angle_address(line[13:].decode(errors="replace")))
                elif line.startswith(b"Received: "):
                    break
            if envelope["mail"] is not None:
                out.append((envelope, raw))
        return out


@pytest.fixture
def smtp_receiver(tmp_path):
    """smtp_receiver(host="127.0.0.1", port=None, **options) -> a started SmtpReceiver
    (options as SmtpReceiver's). Stopped at teardown."""
    started = []

    def start(host="127.0.0.1", port=None, **options):
        receiver = SmtpReceiver(tmp_path / f"receiver{len(started)}", host=host, port=port,
                                **options)
        started.append(receiver)
        return receiver.start()

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def smtp_sink(tmp_path):
    """smtp_sink(host="127.0.0.1", port=None, extra_args=()) -> a started SmtpSink."""
    started = []

    def start(host="127.0.0.1", port=None, extra_args=()):
        sink = SmtpSink(tmp_path / f"sink{len(started)}", host=host, port=port,
                        extra_args=extra_args)
        started.append(sink)
        return sink.start()

    yield start
    for sink in started:
        sink.stop()


# -- the child process ---------------------------------------------------------------------

def _serve(settings_path):
    import asyncio
    import itertools
    import ssl

    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    settings = json.loads(Path(settings_path).read_text())
    events = open(settings["events"], "a", encoding="utf-8")
    attempts = {}
    throttle = settings.get("throttle") or {}
    # Per client IP: the times messages were counted (rate), the connections open now, the
    # messages accepted (volume) and when the volume deferral began.
    counted = {}
    open_connections = {}
    accepted = {}
    deferring_since = {}

    def record(event):
        event["t"] = time.time()
        events.write(json.dumps(event) + "\n")
        events.flush()
        os.fsync(events.fileno())

    def local_address(server):
        sockname = server.transport.get_extra_info("sockname") if server.transport else None
        return f"{sockname[0]}:{sockname[1]}" if sockname else None

    def decode(value):
        return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value

    def client_ip(server):
        peer = server.transport.get_extra_info("peername") if server.transport else None
        return peer[0] if peer else None

    def throttled(server, kind, reply):
        """Records a throttle's 421 and closes the connection once the reply is out."""
        record({"type": "throttled", "conn": server.conn_id, "kind": kind,
                "peer": client_ip(server), "reply": reply, "local": local_address(server)})
        transport = server.transport
        asyncio.get_running_loop().call_later(0.05, transport.close)
        return reply

    def over_rate(ip, envelope):
        """Whether this transaction's message would exceed the rate; counts it otherwise."""
        if "messages" not in throttle or getattr(envelope, "throttle_counted", False):
            return False
        now = time.monotonic()
        window = float(throttle.get("window", 60))
        times = [t for t in counted.get(ip, []) if t > now - window]
        counted[ip] = times
        if len(times) >= int(throttle["messages"]):
            return True
        times.append(now)
        envelope.throttle_counted = True
        return False

    def volume_deferred(ip):
        if "volume_after" not in throttle or accepted.get(ip, 0) < int(throttle["volume_after"]):
            return False
        began = deferring_since.setdefault(ip, time.monotonic())
        return time.monotonic() - began < float(throttle.get("volume_for", 3600))

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            # aiosmtpd offers 8BITMIME whenever it keeps data as bytes: strip what the
            # settings hide. This hook replaces the default, which records the EHLO name.
            session.host_name = hostname
            kept = [r for r in responses if r[4:].split(" ")[0].upper() not in settings["hide"]]
            return kept[:-1] + [f"250-{keyword}" for keyword in settings["offer"]] + kept[-1:]

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            ip = client_ip(server)
            if volume_deferred(ip):
                return throttled(server, "volume",
                                 f"421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due "
                                 "to unexpected volume or user complaints - 4.16.55.1; see "
                                 "https://postmaster.yahooinc.com/error-codes")
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options + server.taken_params)
            record({"type": "mail", "conn": server.conn_id, "mail_from": address})
            return "250 2.1.0 Sender ok"

        async def handle_RSET(self, server, session, envelope):
            record({"type": "rset", "conn": server.conn_id})
            return "250 2.0.0 Ok"

        async def handle_QUIT(self, server, session, envelope):
            record({"type": "quit", "conn": server.conn_id})
            server.release_slot()
            return "221 2.0.0 Bye"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            ip = client_ip(server)
            if over_rate(ip, envelope):
                return throttled(server, "rate",
                                 f"421 4.7.28 [{ip}] Our system has detected an unusual rate of "
                                 "unsolicited mail originating from your IP address. To protect "
                                 "our users from spam, mail sent from your IP address has been "
                                 "temporarily rate limited.")
            key = address.lower()
            script = settings["replies"].get(key) or settings["replies"].get("*") or [250]
            n = attempts.get(key, 0)
            attempts[key] = n + 1
            entry = script[min(n, len(script) - 1)]
            # An entry is a code (its text from REPLY_TEXTS) or a whole reply line.
            code = int(entry[:3]) if isinstance(entry, str) else entry
            record({"type": "rcpt", "conn": server.conn_id, "rcpt": address, "code": code,
                    "attempt": n + 1, "local": local_address(server)})
            if code == 250:
                envelope.rcpt_tos.append(address)
                envelope.rcpt_options.extend(rcpt_options + server.taken_rcpt_params)
            if isinstance(entry, str):
                return entry
            return f"{code} {REPLY_TEXTS.get(code, 'scripted')}"

        async def handle_DATA(self, server, session, envelope):
            if settings["data_delay"]:
                await asyncio.sleep(settings["data_delay"])
            login = session.auth_data.login if isinstance(session.auth_data,
                                                          LoginPassword) else None
            record({"type": "message", "conn": server.conn_id, "mail_from": envelope.mail_from,
                    "mail_options": envelope.mail_options, "chunked": server.chunks is not None,
                    "rcpt_options": list(envelope.rcpt_options),
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "data": base64.b64encode(envelope.original_content or b"").decode(),
                    "ehlo": session.host_name,
                    "tls": server.transport.get_extra_info("ssl_object") is not None,
                    "login": decode(login), "peer": session.peer[0],
                    "local": local_address(server)})
            ip = client_ip(server)
            accepted[ip] = accepted.get(ip, 0) + 1
            return "250 2.0.0 Ok: accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = False
        login = None
        if isinstance(auth_data, LoginPassword):
            login = decode(auth_data.login)
            ok = [login, decode(auth_data.password)] == settings["auth"]
        record({"type": "auth", "conn": server.conn_id, "mechanism": mechanism,
                "login": login, "ok": ok,
                "tls": server.transport.get_extra_info("ssl_object") is not None})
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    tls_context = None
    if settings["tls"]:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(*settings["tls"])

    connection_ids = itertools.count(1)

    class RecordingSMTP(SMTP):
        conn_id = None
        refused = False
        peer_ip = None
        taken_params = []  # MAIL parameters taken off before aiosmtpd reads the rest
        taken_rcpt_params = []  # and RCPT's
        chunks = None  # BDAT chunks of the transaction so far; None: none came

        async def smtp_BDAT(self, arg):  # noqa: N802 (aiosmtpd's name)
            # RFC 3030, which aiosmtpd lacks: the chunk's octets follow the command at once,
            # and are read whatever the answer.
            words = (arg or "").split()
            if "CHUNKING" not in settings["offer"] or not words or not words[0].isdigit():
                return await self.push("501 5.5.4 Syntax: BDAT size [LAST]")
            chunk = await self._reader.readexactly(int(words[0]))
            if not self.envelope.rcpt_tos:
                return await self.push("503 5.5.1 Need RCPT first")
            self.chunks = (self.chunks or []) + [chunk]
            if words[1:] != ["LAST"]:
                return await self.push(f"250 2.0.0 {len(chunk)} octets received")
            self.envelope.content = self.envelope.original_content = b"".join(self.chunks)
            status = await self._call_handler_hook("DATA")
            self.chunks = None
            self._set_post_data_state()
            await self.push(status)

        async def smtp_MAIL(self, arg):  # noqa: N802 (aiosmtpd's name)
            offered = {"REQUIRETLS"} & set(settings["offer"])
            if "DSN" in settings["offer"]:
                offered |= {"RET", "ENVID"}
            self.taken_params, rest = self.take_params(arg, offered)
            await super().smtp_MAIL(rest)

        async def smtp_RCPT(self, arg):  # noqa: N802 (aiosmtpd's name)
            offered = {"NOTIFY", "ORCPT"} if "DSN" in settings["offer"] else set()
            self.taken_rcpt_params, rest = self.take_params(arg, offered)
            await super().smtp_RCPT(rest)

        @staticmethod
        def take_params(arg, offered):
            """aiosmtpd refuses parameters it does not know: those offered are taken off
            first. (taken, the rest of arg)."""
            words = (arg or "").split(" ")
            taken = [w for w in words[1:] if w.split("=")[0].upper() in offered]
            return taken, " ".join(w for w in words if w not in taken)

        def connection_made(self, transport):
            # Called again for the TLS transport after STARTTLS: one connection still.
            fresh = self._original_transport is None
            if fresh and "connections" in throttle:
                peer = transport.get_extra_info("peername")
                ip = peer[0] if peer else None
                if open_connections.get(ip, 0) >= int(throttle["connections"]):
                    # Refused before the session starts: aiosmtpd never sees it.
                    self.refused = True
                    sockname = transport.get_extra_info("sockname")
                    reply = ("421 4.3.2 The maximum number of concurrent connections has "
                             "exceeded a limit, closing transmission channel")
                    record({"type": "refused", "peer": ip, "kind": "connections",
                            "local": f"{sockname[0]}:{sockname[1]}"})
                    record({"type": "throttled", "conn": None, "kind": "connections",
                            "peer": ip, "reply": reply,
                            "local": f"{sockname[0]}:{sockname[1]}"})
                    transport.write(reply.encode() + b"\r\n")
                    transport.close()
                    return
                self.peer_ip = ip
                open_connections[ip] = open_connections.get(ip, 0) + 1
            super().connection_made(transport)
            if fresh:
                self.conn_id = next(connection_ids)
                peer = transport.get_extra_info("peername")
                record({"type": "connect", "conn": self.conn_id,
                        "peer": peer[0] if peer else None, "local": local_address(self)})

        def data_received(self, data):
            if not self.refused:
                super().data_received(data)

        def eof_received(self):
            if self.refused:
                return False
            return super().eof_received()

        def release_slot(self):
            """Gives its place among its IP's open connections back, once (though TLS makes
            a second transport): at QUIT, since a client that said QUIT is done with it (as
            max_concurrent_connections_since counts), or at its end. Counted to the close,
            the client's next connection could find the QUIT one still open."""
            if self.peer_ip is not None:
                open_connections[self.peer_ip] -= 1
                self.peer_ip = None

        def connection_lost(self, error):
            if self.refused:
                return
            self.release_slot()
            record({"type": "disconnect", "conn": self.conn_id, "local": local_address(self)})
            super().connection_lost(error)

    def make_smtp():
        kwargs = {"hostname": settings["hostname"], "ident": "aiosmtpd receiver",
                  "decode_data": False,
                  "enable_SMTPUTF8": "SMTPUTF8" not in settings["hide"],
                  "loop": asyncio.get_running_loop()}
        if tls_context and not settings["implicit_tls"]:
            kwargs["tls_context"] = tls_context
            kwargs["require_starttls"] = settings["require_tls"]
        if settings["auth"]:
            kwargs["authenticator"] = authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = bool(tls_context) and not settings["implicit_tls"]
        return RecordingSMTP(Handler(), **kwargs)

    class RefusingGreeting(asyncio.Protocol):
        def connection_made(self, transport):
            peer = transport.get_extra_info("peername")
            sockname = transport.get_extra_info("sockname")
            record({"type": "connect", "peer": peer[0] if peer else None,
                    "local": f"{sockname[0]}:{sockname[1]}"})
            code = settings["greeting"]
            transport.write(f"{code} {REPLY_TEXTS.get(code, 'go away (scripted)')}\r\n"
                            .encode())
            transport.close()

    async def main():
        loop = asyncio.get_running_loop()
        factory = (lambda: RefusingGreeting()) if settings["greeting"] else make_smtp
        server = await loop.create_server(
            factory, host=settings["host"], port=settings["port"], reuse_address=True,
            ssl=tls_context if settings["implicit_tls"] else None)
        Path(settings["ready"]).write_text("ready\n")
        async with server:
            await server.serve_forever()

    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve(sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} serve SETTINGS.json")
