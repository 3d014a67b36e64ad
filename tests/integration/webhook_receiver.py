"""A real webhook receiver for the event tests (docs/events.md, issue 18): Python's
ThreadingHTTPServer in a thread of the test process, on a free 127.0.0.1 port, recording every
request and answering as it is told.

    hook = WebhookReceiver(secret).start()      # or webhook_receiver(secret) (the fixture)
    herald config: {"type": "webhook", "url": hook.url, "secret": secret, ...}
    hook.fail_next(3, status=500)               # the next 3 requests are answered 500
    hook.wait_for_events(lambda events: len(events) >= 10)

Every request is recorded (Request: method, path, headers, raw body, body parsed as JSON or
None, whether X-Herald-Signature verifies with the receiver's secret, how it was answered, and
whether that answer acknowledged it). What the next requests get is a script of modes, taken
one per request; when the script is empty, `default` answers:

- ("ok",)            200, a small JSON body: acknowledged.
- ("status", code)   that status, a short text body (a 2xx acknowledges, anything else not).
- ("delay", s)       sleeps s seconds, then 200 as "ok" if the client is still there; if the
                     client gave up meanwhile (its end of the connection is closed) the answer
                     did not reach it: recorded as "late", not acknowledged.
- ("close",)         reads the request, then closes the connection without a byte of answer.
- ("garbage",)       "HTTP/1.1 200 OK" and then junk that is not HTTP (binary bytes, header
                     lines without a colon, no blank line ending the header), then closes.
- ("not_http",)      no status line at all: an SMTP greeting and binary junk, then closes.
- ("non_json",)      200 with a body that is not JSON (text/html): acknowledged, since any
                     2xx acknowledges and the body means nothing.

stop() closes the port (connections are refused, as when the application is down); start()
again listens on the same port. A receiver made with start=False (or not started) reserves its
port number but refuses connections until started.
"""
import hashlib
import hmac
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from herald_fixture import free_port

SIGNATURE_HEADER = "X-Herald-Signature"


def sign(secret, timestamp, body):
    """The v1 signature of docs/events.md: hex HMAC-SHA256(secret, "<t>." + body)."""
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse_signature(header):
    """{"t": "...", "v1": "..."} from 't=<unix>,v1=<hex>'; None when the header is not that."""
    if not header:
        return None
    fields = {}
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not key or not value:
            return None
        fields.setdefault(key, value)
    if "t" not in fields or "v1" not in fields or not fields["t"].isdigit():
        return None
    return fields


def verify_signature(header, body, secret):
    """Whether `header` (X-Herald-Signature) signs `body` with `secret`."""
    fields = parse_signature(header)
    if fields is None:
        return False
    return hmac.compare_digest(fields["v1"].lower(), sign(secret, fields["t"], body))


class Request:
    """One request the receiver got."""

    def __init__(self, n, method, path, headers, body, secret):
        self.n = n
        self.t = time.time()
        self.method = method
        self.path = path
        self.headers = headers  # [(name, value)] as sent
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.json = None
        self.signature = self.header(SIGNATURE_HEADER)
        self.signature_ok = verify_signature(self.signature, body, secret)
        self.mode = None      # the mode it was answered with
        self.answer = None    # "200", "500", "late", "close", "garbage", "not_http", ...
        self.acked = False    # a 2xx reached the client
        self.done = False     # answered (or given up on)

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def events(self):
        """The events of the body; [] when it is not {"events": [...]}."""
        if isinstance(self.json, dict) and isinstance(self.json.get("events"), list):
            return self.json["events"]
        return []

    def verifies_with(self, secret):
        return verify_signature(self.signature, self.body, secret)

    def __repr__(self):
        return (f"Request(#{self.n} {self.method} {self.path} events={len(self.events())} "
                f"answer={self.answer} acked={self.acked} sig_ok={self.signature_ok})")


def _peer_closed(sock):
    """Whether the other end has closed the connection (EOF waiting to be read)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _make_handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # so that "Expect: 100-continue" is honoured
        server_version = "HeraldTestWebhook/1.0"

        def log_message(self, *args):
            pass

        def _read_body(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                body = b""
                while True:
                    line = self.rfile.readline(65537)
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline(65537)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(self, status, body, content_type="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def _raw(self, data):
            self.wfile.write(data)
            self.wfile.flush()

        def _handle(self):
            self.close_connection = True
            body = self._read_body()
            request = receiver._record(self.command, self.path, list(self.headers.items()),
                                       body)
            mode = receiver._next_mode()
            request.mode = mode
            kind = mode[0]
            try:
                if kind == "ok":
                    self._answer(200, b'{"ok": true}\n')
                    request.answer, request.acked = "200", True
                elif kind == "status":
                    code = int(mode[1])
                    self._answer(code, f"scripted {code}\n".encode(), "text/plain")
                    request.answer, request.acked = str(code), 200 <= code < 300
                elif kind == "delay":
                    time.sleep(float(mode[1]))
                    if _peer_closed(self.connection):
                        request.answer = "late"
                    else:
                        self._answer(200, b'{"ok": true}\n')
                        request.answer, request.acked = "200", True
                elif kind == "close":
                    request.answer = "close"
                elif kind == "garbage":
                    self._raw(b"HTTP/1.1 200 OK\r\n\x00\x01\x02\xff\xfe garbage\r\n"
                              b"this is not a header line\r\n" + bytes(range(256)))
                    request.answer = "garbage"
                elif kind == "not_http":
                    self._raw(b"220 smtp.example.test ESMTP this is not HTTP\r\n"
                              + bytes(range(256)) + b"\r\n")
                    request.answer = "not_http"
                elif kind == "non_json":
                    self._answer(200, b"<html><body>Thanks! (not JSON)</body></html>\n",
                                 "text/html")
                    request.answer, request.acked = "200-non-json", True
                else:
                    raise AssertionError(f"unknown webhook receiver mode {mode!r}")
            except OSError as e:  # the client went away while we answered
                request.answer, request.acked = f"error: {e}", False
            finally:
                request.done = True
                with receiver._cond:
                    receiver._cond.notify_all()

        def do_POST(self):
            self._handle()

        def do_PUT(self):
            self._handle()

        def do_GET(self):
            self._handle()

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class WebhookReceiver:
    """An HTTP server recording webhook requests; see the module's docstring."""

    def __init__(self, secret, path="/hooks/herald", port=None):
        self.secret = secret
        self.path = path
        self.port = port or free_port()
        self.default = ("ok",)
        self.requests = []
        self._script = []
        self._cond = threading.Condition()
        self._server = None
        self._thread = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.path}"

    # -- process control ----------------------------------------------------------------------

    def start(self):
        assert self._server is None, "already running"
        deadline = time.monotonic() + 30
        while True:
            try:
                self._server = _Server(("127.0.0.1", self.port), _make_handler(self))
                break
            except OSError:  # the old socket lingers a moment after a stop
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Closes the listening port: new connections are refused from now on."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        self._thread.join(timeout=10)
        self._thread = None

    def restart(self):
        self.stop()
        return self.start()

    def running(self):
        return self._server is not None

    # -- what to answer -----------------------------------------------------------------------

    def script(self, *modes):
        """Modes for the next requests, one each, after those already scripted."""
        with self._cond:
            self._script.extend(tuple(m) if isinstance(m, (tuple, list)) else (m,)
                                for m in modes)

    def fail_next(self, n, status=500):
        self.script(*[("status", status)] * n)

    def delay_next(self, n, seconds):
        self.script(*[("delay", seconds)] * n)

    def close_next(self, n):
        self.script(*[("close",)] * n)

    def garbage_next(self, n):
        self.script(*[("garbage",)] * n)

    def not_http_next(self, n):
        self.script(*[("not_http",)] * n)

    def clear_script(self):
        with self._cond:
            self._script.clear()

    def pending_script(self):
        with self._cond:
            return len(self._script)

    def _next_mode(self):
        with self._cond:
            return self._script.pop(0) if self._script else self.default

    def _record(self, method, path, headers, body):
        with self._cond:
            request = Request(len(self.requests) + 1, method, path, headers, body, self.secret)
            self.requests.append(request)
            self._cond.notify_all()
            return request

    # -- what was received --------------------------------------------------------------------

    def all_requests(self):
        with self._cond:
            return list(self.requests)

    def acked_requests(self):
        return [r for r in self.all_requests() if r.acked]

    def failed_requests(self):
        """Requests answered, and not acknowledged (any failure mode)."""
        return [r for r in self.all_requests() if r.done and not r.acked]

    def events(self, acked_only=True):
        """Every event received, flattened, in the order of arrival (duplicates kept). By
        default only those of requests that were acknowledged: an event in a request answered
        500 has not arrived, as far as its sender knows."""
        return [e for r in self.all_requests() if r.acked or not acked_only
                for e in r.events()]

    def ids(self, acked_only=True):
        return [e.get("id") for e in self.events(acked_only)]

    def wait_for_events(self, predicate, timeout=60.0, what="webhook events", alive=None):
        """Polls predicate(events()) until truthy; returns its value. `alive`, if given, is
        called on each miss (e.g. a Herald's assert_alive)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self.events())
            if value:
                return value
            if alive is not None:
                alive()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; requests: "
                    f"{self.all_requests()}")
            with self._cond:
                self._cond.wait(timeout=0.1)


@pytest.fixture
def webhook_receiver():
    """webhook_receiver(secret, start=True, path="/hooks/herald") -> WebhookReceiver.
    Stopped at teardown."""
    made = []

    def make(secret, start=True, path="/hooks/herald"):
        receiver = WebhookReceiver(secret, path=path)
        made.append(receiver)
        return receiver.start() if start else receiver

    yield make
    for receiver in made:
        receiver.stop()


__all__ = ["WebhookReceiver", "Request", "sign", "verify_signature", "parse_signature",
           "webhook_receiver", "SIGNATURE_HEADER"]
