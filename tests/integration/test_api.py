"""The HTTP sending API, POST /api/v1/messages, with a real HTTP client (requests): what it
queues is read back from the mailbox with Python's email package and its signature checked
with python3-dkim; what it refuses leaves nothing in the queue."""
import base64
import email
import email.policy
import hashlib
import json
import secrets
import signal
import socket
import subprocess

import dkim
import pytest
import requests

from herald_fixture import LOCAL_USERS, free_port, maildir_count, wait_for
from test_signing_policy import keygen

LOCAL = "local.herald.test"
SIGNER = "signer.test"
TOKEN = secrets.token_hex(32)
OTHER_TOKEN = secrets.token_hex(32)


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def api_herald(make_herald, tmp_path, limits=None, **extra):
    key, dnsfunc = keygen(tmp_path)
    port = free_port()
    sections = dict(
        local={"recipients": LOCAL_USERS, "domains": [LOCAL], "mailbox": "maildir",
               "path": "var/mail/{user}"},
        admin={"http": f"127.0.0.1:{port}"},
        api_key=[{"name": "news", "key_sha256": sha256(TOKEN), "sender_domains": [SIGNER]},
                 {"name": "other", "key_sha256": sha256(OTHER_TOKEN),
                  "sender_domains": ["other.test"], "rate_limit": "2/hour"}],
        **{"dkim.key": [{"domain": "*", "selector": "s1", "private_key": str(key),
                         "require_dns_match": False}]})
    if limits:
        sections["limits"] = limits
    sections.update(extra)
    h = make_herald(**sections)
    h.api_url = f"http://127.0.0.1:{port}/api/v1/messages"
    return h, dnsfunc


def post(h, body, token=TOKEN, headers=None, raw_body=None):
    all_headers = {"Authorization": f"Bearer {token}"} if token else {}
    all_headers.update(headers or {})
    if raw_body is not None:
        return requests.post(h.api_url, data=raw_body, headers=all_headers, timeout=30)
    return requests.post(h.api_url, json=body, headers=all_headers, timeout=30)


def inbox(h, user, count=1):
    path = h.path(f"var/mail/{user}")
    wait_for(lambda: maildir_count(path) >= count, what=f"{count} message(s) for {user}")
    return [f.read_bytes() for d in ("new", "cur") for f in sorted((path / d).glob("*"))]


def arrivals(h):
    return [line for line in h.mainlog().splitlines() if " <= " in line]


def owns_connection(h, port, client):
    """Whether Herald accepted `client`'s connection to `port`: its end of it is one of
    Herald's sockets (in the listener's backlog it belongs to no process yet)."""
    mine = client.getsockname()[1]
    lines = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                           capture_output=True, text=True).stdout.splitlines()
    return any(line.split()[3].endswith(f":{mine}") and f"pid={h.proc.pid}," in line
               for line in lines if len(line.split()) >= 5)


def test_a_request_under_way_when_herald_stops_gets_its_response_and_is_kept(make_herald,
                                                                              tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    port = int(h.api_url.split(":")[2].split("/")[0])
    body = json.dumps({"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "mid-stop",
                       "text": "sent while stopping\n"}).encode()
    head = (f"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + body[:20])
        h.wait_for(lambda: owns_connection(h, port, s), what="the connection accepted")
        h.proc.send_signal(signal.SIGTERM)
        h.wait_for_log("herald stopping")
        s.sendall(body[20:])
        response = b""
        while chunk := s.recv(4096):
            response += chunk
    status, _, rest = response.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 202"), response
    assert b"connection: close" in rest.lower(), response
    assert h.proc.wait(timeout=30) == 0
    h.proc = None
    h.start()
    [raw] = inbox(h, "bob")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "mid-stop"


def test_a_structured_message_is_built_signed_and_logged(make_herald, tmp_path):
    h, dnsfunc = api_herald(make_herald, tmp_path)
    attachment = bytes(range(256)) * 3
    r = post(h, {"from": f"Zoë Sender <app@{SIGNER}>", "to": [f"bob@{LOCAL}"],
                 "cc": [f"carol@{LOCAL}"], "bcc": [f"dave@{LOCAL}"],
                 "subject": "Grüße from the API", "text": "plain ✓\n", "html": "<p>rich ✓</p>",
                 "attachments": [{"filename": "data.bin", "content_type": "application/octet-stream",
                                  "content": base64.b64encode(attachment).decode()}],
                 "headers": {"X-Campaign": "spring"}})
    assert r.status_code == 202, r.text
    answer = r.json()
    assert answer["id"] == answer["messages"][0]["id"]
    assert sorted(answer["messages"][0]["recipients"]) == sorted(
        [f"bob@{LOCAL}", f"carol@{LOCAL}", f"dave@{LOCAL}"])
    [raw] = inbox(h, "bob")
    assert dkim.verify(raw, dnsfunc=dnsfunc), raw[:800]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Grüße from the API"
    assert msg["From"].addresses[0].display_name == "Zoë Sender"
    assert msg["Bcc"] is None and b"dave@" not in raw.split(b"\r\n\r\n")[0].replace(b"Received", b"")
    assert msg["X-Campaign"] == "spring" and msg["Message-ID"] and msg["Date"]
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(preferencelist=("plain",))
    assert body.get_content().replace("\r\n", "\n") == "plain ✓\n"
    assert msg.get_body(preferencelist=("html",)).get_content().startswith("<p>rich ✓</p>")
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "data.bin" and part.get_content() == attachment
    assert max(raw) < 128, "the built message is 7-bit"
    inbox(h, "dave")  # blind, but delivered
    [line] = arrivals(h)
    assert "A=api:news" in line and "P=http" in line, line
    # summary counts by user, and trace follows the message: both name the key.
    summary = json.loads(h.cli("summary", "--json").stdout)
    assert "api:news" in json.dumps(summary["users"]), summary
    assert "A=api:news" in h.cli("trace", answer["id"]).stdout.decode()


def test_a_raw_message_is_queued_as_given(make_herald, tmp_path):
    h, dnsfunc = api_herald(make_herald, tmp_path)
    text = (f"From: App <app@{SIGNER}>\nTo: bob@{LOCAL}\nSubject: raw one\n\nline one\nline two\n")
    r = post(h, {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"],
                 "raw_base64": base64.b64encode(text.encode()).decode()})
    assert r.status_code == 202, r.text
    [raw] = inbox(h, "bob")
    assert dkim.verify(raw, dnsfunc=dnsfunc)
    assert raw.endswith(b"\n\nline one\nline two\n")  # maildir: LF


def test_a_batch_is_personalised_for_each_recipient(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    people = {"alice": "Ann", "bob": "Bo", "carol": "Cee"}
    r = post(h, {"from": f"app@{SIGNER}", "to": [f"{u}@{LOCAL}" for u in people],
                 "subject": "Hello {{name}}", "text": "Dear {{ name }}, your code is {{code}}.",
                 "substitutions": {f"{u}@{LOCAL}": {"name": n, "code": n.upper()}
                                   for u, n in people.items()}})
    assert r.status_code == 202, r.text
    assert len(r.json()["messages"]) == 3
    for user, name in people.items():
        [raw] = inbox(h, user)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["Subject"] == f"Hello {name}"
        assert msg["To"] == f"{user}@{LOCAL}"
        assert f"Dear {name}, your code is {name.upper()}." in msg.get_content()


def test_a_retry_with_the_same_idempotency_key_sends_once(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    body = {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "once", "text": "x"}
    first = post(h, body, headers={"Idempotency-Key": "order-42"})
    again = post(h, body, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = post(h, dict(body, subject="another"), headers={"Idempotency-Key": "order-42"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # The same key from another API key is another request.
    inbox(h, "bob")
    assert len(arrivals(h)) == 1
    # And it holds across a restart.
    h.stop()
    h.start()
    replay = post(h, body, headers={"Idempotency-Key": "order-42"})
    assert replay.status_code == 202 and replay.json() == first.json()
    assert len(arrivals(h)) == 1


BAD_REQUESTS = [
    ("truncated json", None, b'{"from": "app@signer.test", "to": [', 400, "malformed_json"),
    ("wrong type", {"from": "app@signer.test", "to": "bob@local.herald.test", "subject": "s",
                    "text": "t"}, None, 400, "invalid_field"),
    ("bad address", {"from": "app@signer.test", "to": ["not an address"], "subject": "s",
                     "text": "t"}, None, 400, "invalid_address"),
    ("10,000 recipients", {"from": "app@signer.test",
                           "to": [f"r{i}@example.net" for i in range(10000)], "subject": "s",
                           "text": "t"}, None, 422, "too_many_recipients"),
    ("invalid base64", {"from": "app@signer.test", "to": ["bob@local.herald.test"],
                        "raw_base64": "!!!not base64"}, None, 400, "invalid_base64"),
    ("header injection", {"from": "app@signer.test", "to": ["bob@local.herald.test"],
                          "subject": "hi\r\nBcc: victim@example.net", "text": "t"}, None, 400,
     "header_injection"),
    ("non-utf-8 text", None, b'{"from": "app@signer.test", "to": ["bob@local.herald.test"], '
                             b'"subject": "s", "text": "caf\xe9"}', 400, "invalid_utf8"),
    ("missing substitutions", {"from": "app@signer.test",
                               "to": ["bob@local.herald.test", "carol@local.herald.test"],
                               "subject": "Hi {{name}}", "text": "t",
                               "substitutions": {"bob@local.herald.test": {"name": "Bo"},
                                                 "carol@local.herald.test": {}}}, None, 422,
     "missing_substitutions"),
    ("require_tls not a boolean", {"from": "app@signer.test", "to": ["bob@local.herald.test"],
                                   "subject": "s", "text": "t", "require_tls": "yes"}, None,
     400, "invalid_field"),
    ("unknown local recipient", {"from": "app@signer.test", "to": ["nobody@local.herald.test"],
                                 "subject": "s", "text": "t"}, None, 422, "rejected"),
]


@pytest.mark.parametrize("name,body,raw_body,status,code", BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_a_clear_4xx_and_queues_nothing(make_herald, tmp_path, name, body,
                                                        raw_body, status, code):
    h, _ = api_herald(make_herald, tmp_path)
    r = post(h, body, raw_body=raw_body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    assert r.json()["message"]
    assert arrivals(h) == []
    assert h.queue_list_json() == []
    wait_for(lambda: f"API key=news" in h.rejectlog() and code in h.rejectlog(),
             what="the refusal in the rejectlog")


def test_a_body_over_the_limit_is_413(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path, limits={"max_message_size": 100000})
    r = post(h, {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "big",
                 "text": "x" * 100_000_000})
    assert r.status_code == 413, r.text[:200]
    small_enough_json = post(h, {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"],
                                 "subject": "big", "text": "y" * 120000})
    assert small_enough_json.status_code == 413
    assert small_enough_json.json()["code"] == "too_large"
    assert arrivals(h) == []


def test_credentials_and_sender_domains(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    body = {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "s", "text": "t"}
    missing = post(h, body, token=None)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert post(h, body, token=secrets.token_hex(32)).status_code == 401
    # The admin token is no API key.
    assert post(h, body, token=h.admin_token()).status_code == 401
    foreign = post(h, body, token=OTHER_TOKEN)
    assert foreign.status_code == 403 and foreign.json()["code"] == "sender_not_allowed"
    raw = post(h, {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"],
                   "raw": "From: ceo@bank.example\r\nSubject: x\r\n\r\nwire it\r\n"})
    assert raw.status_code == 403, raw.text
    assert arrivals(h) == []
    assert TOKEN not in h.mainlog() and TOKEN not in h.rejectlog()
    # A stranger's 401 comes before the body is read, and leaves a note.
    assert "no bearer token" in h.mainlog() or "wrong credentials" in h.mainlog()


def test_a_keys_rate_limit_answers_429_with_retry_after(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    body = {"from": "app@other.test", "to": [f"bob@{LOCAL}"], "subject": "s", "text": "t"}
    # Mail for local recipients never counts (rate_limiter.hpp): relay it to count it.
    body["to"] = ["someone@example.net"]
    for _ in range(2):
        assert post(h, body, token=OTHER_TOKEN).status_code == 202
    limited = post(h, body, token=OTHER_TOKEN)
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0
    assert len(arrivals(h)) == 2


def test_a_key_added_by_reload_can_send(make_herald, tmp_path):
    h, _ = api_herald(make_herald, tmp_path)
    new_token = secrets.token_hex(32)
    body = {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "s", "text": "t"}
    assert post(h, body, token=new_token).status_code == 401
    h.config["api_key"].append({"name": "late", "key_sha256": sha256(new_token),
                                  "sender_domains": [SIGNER]})
    h.write_config()
    assert h.cli("reload").returncode == 0
    wait_for(lambda: post(h, body, token=new_token).status_code == 202, what="the new key")


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_an_http_listener_serves_the_sending_api_alone(make_herald, tmp_path, tls):
    h, dnsfunc = api_herald(make_herald, tmp_path, listeners=("http",), start=False)
    h.config["listener"][0]["tls"] = tls
    h.write_config()
    h.start()
    base = f"{'https' if tls else 'http'}://127.0.0.1:{h.port('http')}"
    r = requests.post(f"{base}/api/v1/messages", headers={"Authorization": f"Bearer {TOKEN}"},
                      json={"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "s",
                            "text": "over the listener"}, verify=False, timeout=30)
    assert r.status_code == 202, r.text
    [raw] = inbox(h, "bob")
    assert dkim.verify(raw, dnsfunc=dnsfunc)
    # The admin API is not there, even with its token.
    admin = requests.get(f"{base}/api/queue", verify=False, timeout=30,
                         headers={"Authorization": f"Bearer {h.admin_token()}"})
    assert admin.status_code == 404
    assert requests.get(f"{base}/api/v1/messages", verify=False, timeout=30,
                        headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


@pytest.mark.allow_panic
def test_a_batch_the_disk_cannot_hold_whole_is_not_queued_at_all(make_herald, tmp_path):
    """Two messages of 600 KB on a 2 MB spool: both incoming texts fit, the first is stored,
    the second is not; the first is withdrawn and the client told 503."""
    from test_full_disk import small_tmpfs
    with small_tmpfs(tmp_path / "var" / "spool", "2m"):
        h, _ = api_herald(make_herald, tmp_path, limits={"spool_reserve": "1k"})
        text = ("x" * 76 + "\n") * 7800
        r = post(h, {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}", f"carol@{LOCAL}"],
                     "subject": "big {{n}}", "text": text,
                     "substitutions": {f"bob@{LOCAL}": {"n": "1"}, f"carol@{LOCAL}": {"n": "2"}}})
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "insufficient_storage"
        assert int(r.headers["Retry-After"]) > 0
        assert h.queue_list_json() == []
        log = h.mainlog()
        assert "withdrawn" in log, log
        assert maildir_count(h.path("var/mail/bob")) == 0
        h.stop()
