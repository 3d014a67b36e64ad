"""The http transport end to end: a sender's mail routed to a real HTTP server (Python's
http.server, the unit tests' fixture), as rfc822 and as JSON; a 503 retried, a 400 bounced."""
import json
import subprocess
from pathlib import Path

import pytest

from herald_fixture import LOCAL_USERS, send, wait_for

FIXTURE = Path(__file__).resolve().parent.parent / "unit" / "delivery" / "fixtures" / "http_receiver.py"
LOCAL = {"recipients": LOCAL_USERS, "domains": ["local.herald.test"], "mailbox": "maildir", "path": "var/mail/{user}"}


@pytest.fixture
def http_receiver(tmp_path):
    started = []

    def start(*args):
        out = tmp_path / f"http-{len(started)}"
        out.mkdir()
        proc = subprocess.Popen(["/usr/bin/python3", str(FIXTURE), "--out", str(out), *args],
                                stdout=subprocess.PIPE, text=True)
        port = int(proc.stdout.readline().split()[1])
        started.append(proc)
        return port, out

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def requests(out):
    return sorted(out.glob("*.json"), key=lambda p: int(p.stem))


def config(port, fmt="rfc822"):
    return {
        "relay": {"networks": ["127.0.0.0/8"]},
        "local": LOCAL,
        "transport": [{"name": "api", "type": "http", "format": fmt,
                       "url": f"http://127.0.0.1:{port}/inbound?key=1"},
                      {"name": "discard", "type": "null"}],
        "route": [{"sender": "*@app.herald.test", "transport": "api"},
                  {"sender": "*", "transport": "discard"}],
        "queue": {"retry": ["1s"], "max_age": "5d"},
    }


def test_rfc822_post_carries_the_message_and_its_envelope(make_herald, http_receiver):
    port, out = http_receiver("--status", "202", "--reason", "Accepted")
    h = make_herald(**config(port))
    msg_id = send(h, "app@app.herald.test", ["a@example.net", "b@example.org"])
    wait_for(lambda: requests(out), what="the POST at the receiver")
    [request] = requests(out)
    meta = json.loads(request.read_text())
    headers = {}
    for name, value in meta["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    assert meta["method"] == "POST" and meta["path"] == "/inbound?key=1"
    assert headers["content-type"] == ["message/rfc822"]
    assert headers["x-herald-mail-from"] == ["app@app.herald.test"]
    assert headers["x-herald-rcpt-to"] == ["a@example.net", "b@example.org"]
    assert headers["x-herald-message-id"] == [msg_id]
    body = request.with_suffix(".body").read_bytes()
    assert body.startswith(b"Received: ") and b"\r\nSubject: test\r\n" in body
    h.wait_for(lambda: h.completed(msg_id), what="completion")
    assert "HTTP 202 Accepted" in h.mainlog()


def test_json_format(make_herald, http_receiver):
    port, out = http_receiver()
    h = make_herald(**config(port, fmt="json"))
    send(h, "app@app.herald.test", ["a@example.net"])
    wait_for(lambda: requests(out), what="the POST at the receiver")
    body = json.loads(requests(out)[0].with_suffix(".body").read_text())
    assert body["mail_from"] == "app@app.herald.test" and body["rcpt_to"] == ["a@example.net"]
    assert "\r\nSubject: test\r\n" in body["message"]


def test_503_is_retried_and_400_is_bounced(make_herald, http_receiver):
    port, out = http_receiver("--status", "503")
    h = make_herald(**config(port))
    msg_id = send(h, "app@app.herald.test", ["a@example.net"])
    wait_for(lambda: len(requests(out)) >= 2, what="a retry after the 503")
    assert not h.completed(msg_id)
    assert "HTTP 503" in h.mainlog()

    port, out = http_receiver("--status", "400", "--body", "bad recipient")
    h2 = make_herald(**config(port))
    msg_id = send(h2, "app@app.herald.test", ["a@example.net"])
    h2.wait_for(lambda: h2.completed(msg_id), what="the failure completing the message")
    [failed] = [l for l in h2.mainlog().splitlines() if f"{msg_id} ** " in l]
    assert "HTTP 400" in failed and "bad recipient" in failed, failed
    # The bounce goes back to the sender: a message from the null sender.
    assert " <= <> " in h2.mainlog()
