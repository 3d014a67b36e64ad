"""[admin] http: /metrics scraped and parsed by the Prometheus text parser, the JSON queue API
(list, hold, release, flush, delete) against a queue that cannot drain, the bearer token, the
console page, hostile requests, and a port that is taken."""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from herald_fixture import admin_token_for, free_port, send

TOKEN = "admin-token-0123456789"


def admin(port, token=None):
    section = {"http": f"127.0.0.1:{port}"}
    if token:
        section["token"] = token
    return section


def discarding(port, **sections):
    """Every message delivered at once (the null transport), the admin API on `port`."""
    return dict(transport=[{"name": "discard", "type": "null"}],
                route=[{"sender": "*", "transport": "discard"}],
                admin=admin(port), **sections)


def stuck(port, token=None):
    """Every message deferred: the only route goes to a smarthost port that nobody listens
    on, retried in an hour; so messages stay queued."""
    return dict(transport=[{"name": "smarthost", "type": "smtp", "host": "127.0.0.1",
                            "port": free_port(), "tls": "none"}],
                route=[{"sender": "*", "transport": "smarthost"}],
                queue={"retry": ["1h"], "max_age": "5d"},
                admin=admin(port, token))


# The token of the Herald on that port (admin_token_for): what an operator would send.
AUTO = object()


def call(port, path, method="GET", token=AUTO, headers=None):
    """(status, headers, body bytes); 4xx and 5xx are returned, not raised. token=None sends
    no Authorization header."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
    if token is AUTO:
        token = admin_token_for(port)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def call_json(port, path, method="GET", token=AUTO):
    status, headers, body = call(port, path, method, token)
    assert headers.get("Content-Type", "").startswith("application/json"), headers
    return status, json.loads(body)


def scrape(port, token=AUTO):
    """{(sample name, frozenset of labels): value}, and {name: type} for every sample name
    and every family name (the parser names a counter family without its _total)."""
    status, headers, body = call(port, "/metrics", token=token)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    samples, types = {}, {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        types.setdefault(family.name, family.type)
        for sample in family.samples:
            types[sample.name] = family.type
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def raw_exchange(port, data, timeout=30):
    """Sends bytes, reads until the server closes; returns what it said."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return reply
            reply += chunk


def test_metrics_parse_and_count_received_delivered_and_rejected(make_herald):
    port = free_port()
    h = make_herald(**discarding(port, reject={"senders": ["spam@bad.herald.test"]}))
    ids = [send(h, f"m{i}@client.herald.test", ["a@example.net", "b@example.net"])
           for i in range(2)]
    for msg_id in ids:
        h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} delivered")
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        code, _ = s.mail("spam@bad.herald.test")
        assert code == 550
    h.wait_for_log(r"spam@bad\.herald\.test", log="rejectlog")

    samples, types = scrape(port)
    for name, kind in [("herald_messages_received_total", "counter"),
                       ("herald_recipients_delivered_total", "counter"),
                       ("herald_recipients_deferred_total", "counter"),
                       ("herald_recipients_failed_total", "counter"),
                       ("herald_bounces_total", "counter"),
                       ("herald_smtp_rejections_total", "counter"),
                       ("herald_rate_limit_hits_total", "counter"),
                       ("herald_smtp_connections_total", "counter"),
                       ("herald_smtp_connections", "gauge"),
                       ("herald_dkim_signatures", "counter"),  # no samples before signing
                       ("herald_queue_messages", "gauge"),
                       ("herald_queue_oldest_age_seconds", "gauge")]:
        assert types.get(name) == kind, (name, types)
    assert value(samples, "herald_messages_received_total") == 2
    assert value(samples, "herald_recipients_delivered_total", transport="discard") == 4
    assert value(samples, "herald_recipients_failed_total", transport="discard") == 0
    assert value(samples, "herald_smtp_rejections_total", reason="rejected_sender") == 1
    assert value(samples, "herald_smtp_rejections_total", reason="relay_denied") == 0
    assert value(samples, "herald_bounces_total") == 0
    assert value(samples, "herald_queue_messages") == 0


def test_queue_api_lists_holds_releases_flushes_and_deletes(make_herald):
    port = free_port()
    h = make_herald(**stuck(port))
    msg_id = send(h, "held@client.herald.test", ["far@example.net"])
    other = send(h, "other@client.herald.test", ["away@example.net"])
    # Deferred, and its schedule saved: the "==" line is written before the schedule is.
    def deferred_and_scheduled():
        entries = {e["id"]: e for e in h.queue_list_json()}
        return all(entries.get(i, {}).get("last_error") for i in (msg_id, other))
    for i in (msg_id, other):
        h.wait_for(lambda: h.events(i, "=="), what=f"{i} deferred")
    h.wait_for(deferred_and_scheduled, what="both schedules saved")

    status, listed = call_json(port, "/api/queue")
    assert status == 200
    by_id = {e["id"]: e for e in listed}
    assert set(by_id) == {msg_id, other}
    # The same entries, field for field, as `herald queue list --json`.
    cli = {e["id"]: e for e in h.queue_list_json()}
    for i in by_id:
        assert set(by_id[i]) == set(cli[i]), (by_id[i], cli[i])
        for key in ("sender", "recipients", "held", "pending", "size", "next_attempt"):
            assert by_id[i][key] == cli[i][key], key
    assert by_id[msg_id]["sender"] == "held@client.herald.test"
    assert by_id[msg_id]["held"] is False
    assert by_id[msg_id]["last_error"], by_id[msg_id]

    status, body = call_json(port, f"/api/queue/{msg_id}/hold", "POST")
    assert (status, body["ok"]) == (200, True), body
    assert {e["id"]: e for e in call_json(port, "/api/queue")[1]}[msg_id]["held"] is True
    assert {e["id"]: e for e in h.queue_list_json()}[msg_id]["held"] is True
    h.wait_for_log(rf"{msg_id} held by administrator")

    status, body = call_json(port, f"/api/queue/{msg_id}/release", "POST")
    assert (status, body["ok"]) == (200, True), body
    h.wait_for(lambda: {e["id"]: e for e in call_json(port, "/api/queue")[1]}[msg_id]["held"]
               is False, what="released")

    before = len(h.events(other, "=="))
    status, body = call_json(port, f"/api/queue/{other}/flush", "POST")
    assert status == 200, body
    h.wait_for(lambda: len(h.events(other, "==")) > before, what="another attempt after flush")
    status, body = call_json(port, "/api/queue/flush", "POST")
    assert status == 200, body

    samples, _ = scrape(port)
    assert value(samples, "herald_queue_messages") == 2
    assert value(samples, "herald_queue_oldest_age_seconds") >= 0
    assert value(samples, "herald_recipients_deferred_total", transport="smarthost") >= 2

    status, transports = call_json(port, "/api/transports")
    assert status == 200
    [smarthost] = [t for t in transports if t["name"] == "smarthost"]
    assert smarthost["type"] == "smtp" and smarthost["deferred"] >= 2, smarthost

    status, body = call_json(port, f"/api/queue/{other}/delete", "POST")
    assert (status, body["ok"]) == (200, True), body
    h.wait_for(lambda: other not in {e["id"] for e in call_json(port, "/api/queue")[1]},
               what=f"{other} gone")
    assert other not in h.queue_ids()

    # Bounced by the administrator: failed without a transport, and a DSN queued.
    status, body = call_json(port, f"/api/queue/{msg_id}/bounce", "POST")
    assert (status, body["ok"]) == (200, True), body
    h.wait_for(lambda: h.events(msg_id, "**"), what=f"{msg_id} failed")
    samples, _ = scrape(port)
    assert value(samples, "herald_recipients_failed_total", transport="none") == 1
    assert value(samples, "herald_bounces_total") == 1


def test_queue_gauges_per_transport_and_destination_survive_a_restart(make_herald):
    port = free_port()
    dead = free_port()
    h = make_herald(
        transport=[{"name": name, "type": "smtp", "host": "127.0.0.1", "port": dead,
                    "tls": "none"} for name in ("newsletter", "smarthost")],
        route=[{"sender": "*@news.herald.test", "transport": "newsletter"},
               {"sender": "*", "transport": "smarthost"}],
        queue={"retry": ["1h"], "max_age": "5d"}, admin=admin(port))
    news = send(h, "promo@news.herald.test", ["a@example.net", "b@example.org"])
    plain = send(h, "user@client.herald.test", ["c@Example.NET"])
    for i in (news, plain):
        h.wait_for(lambda: h.events(i, "=="), what=f"{i} deferred")

    def gauges():
        """{group: (messages, recipients)} for the whole queue, each transport and domain."""
        samples, types = scrape(port)
        assert types["herald_queue_transport_messages"] == "gauge"
        out = {"total": (value(samples, "herald_queue_messages"),
                         value(samples, "herald_queue_recipients")),
               "age": value(samples, "herald_queue_destination_oldest_age_seconds",
                            destination="example.org")}
        for label, names in (("transport", ("newsletter", "smarthost")),
                             ("destination", ("example.net", "example.org"))):
            for name in names:
                out[name] = tuple(value(samples, f"herald_queue_{label}_{kind}", **{label: name})
                                  for kind in ("messages", "recipients"))
        return out

    expected = {"total": (2, 3), "newsletter": (1, 2), "smarthost": (1, 1),
                "example.net": (2, 2), "example.org": (1, 1)}
    before = gauges()
    assert {k: v for k, v in before.items() if k != "age"} == expected, before
    assert before["age"] >= 0
    status, transports = call_json(port, "/api/transports")
    assert status == 200
    queued = {t["name"]: (t["queued_messages"], t["queued_recipients"]) for t in transports}
    assert queued == {"newsletter": (1, 2), "smarthost": (1, 1)}, transports

    # Counted again from the spool at start-up, not from what the last run remembered: once
    # the queue is loaded (in the background), the gauges say the same.
    h.restart()
    h.wait_for(lambda: value(scrape(port)[0], "herald_queue_loading") == 0,
               what="the queue loaded")
    after = gauges()
    assert {k: v for k, v in after.items() if k != "age"} == expected, after
    assert after["age"] >= before["age"]

    status, body = call_json(port, f"/api/queue/{news}/delete", "POST")
    assert (status, body["ok"]) == (200, True), body
    left = gauges()
    assert left["total"] == (1, 1) and left["newsletter"] == (0, 0), left
    assert left["example.org"] == (0, 0) and left["example.net"] == (1, 1), left


def test_queue_api_errors_are_json(make_herald):
    port = free_port()
    make_herald(**stuck(port))
    status, body = call_json(port, "/api/queue/0000000000000000zzzz/hold", "POST")
    assert status == 404 and "error" in body, body
    status, body = call_json(port, "/api/queue/not.an.id/hold", "POST")
    assert status == 400 and "error" in body, body
    status, body = call_json(port, "/api/queue/0000000000000000zzzz/explode", "POST")
    assert status == 404, body
    status, body = call_json(port, "/api/queue", "POST")
    assert status == 405, body
    status, body = call_json(port, "/no/such/thing")
    assert status == 404, body
    # A page of another site cannot steer the queue through the administrator's browser.
    status, _, _ = call(port, "/api/queue/flush", "POST",
                        headers={"Origin": "http://evil.example"})
    assert status == 403


def test_a_configured_token_is_required(make_herald):
    port = free_port()
    make_herald(**stuck(port, token=TOKEN))
    for path, method in [("/metrics", "GET"), ("/api/queue", "GET"), ("/api/transports", "GET"),
                         ("/api/queue/flush", "POST")]:
        status, headers, _ = call(port, path, method, token=None)
        assert status == 401, path
        assert headers.get("WWW-Authenticate", "").startswith("Bearer"), headers
        assert call(port, path, method, token=TOKEN + "x")[0] == 401, path
        assert call(port, path, method, token=TOKEN)[0] == 200, path
    scrape(port, token=TOKEN)


def test_console_page_is_served(make_herald):
    """Its three files, without the token; tests/integration/test_console.py drives it."""
    port = free_port()
    make_herald(**discarding(port))
    status, headers, body = call(port, "/", token=None)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html"), headers
    assert b"<table" in body and b'src="/console.js"' in body
    assert "default-src 'none'" in headers.get("Content-Security-Policy", "")
    status, headers, script = call(port, "/console.js", token=None)
    assert status == 200 and headers["Content-Type"].startswith("text/javascript"), headers
    assert b"/api/queue" in script


def test_hostile_requests_get_errors_and_the_server_carries_on(make_herald):
    port = free_port()
    h = make_herald(**discarding(port))
    huge = (b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000 +
            b"\r\n\r\n")
    assert raw_exchange(port, huge).startswith(b"HTTP/1.1 431 ")
    assert raw_exchange(port, b"\x16\x03\x01\x00\xff garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_exchange(port, b"GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n") \
        .startswith(b"HTTP/1.1 413 ")
    # Rebinding: a request for another host name is refused when there is no token.
    reply = raw_exchange(port, b"GET /api/queue HTTP/1.1\r\nHost: evil.example\r\n"
                               b"Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 403 "), reply[:100]
    # A client that says nothing, and one that leaves mid-request.
    idle = socket.create_connection(("127.0.0.1", port), timeout=30)
    half = socket.create_connection(("127.0.0.1", port), timeout=30)
    half.sendall(b"GET /metr")
    half.close()
    assert call(port, "/metrics")[0] == 200
    idle.close()
    h.assert_alive()
    send(h, "after@client.herald.test", ["x@example.net"])


def test_a_taken_port_stops_start_up_with_a_clear_line(make_herald):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        h = make_herald(start=False, **discarding(port))
        with pytest.raises(AssertionError) as failure:
            h.start()
    assert "admin.http" in str(failure.value) and str(port) in str(failure.value), failure.value


def test_summary_and_trace_api_answer_as_the_commands_do(make_herald):
    port = free_port()
    h = make_herald(**discarding(port))
    ids = [send(h, "burst@brand.test", ["a@example.net", "b@example.net"]) for _ in range(3)]
    send(h, "other@example.org", ["c@example.net"])
    h.wait_for(lambda: all(h.completed(i) for i in ids), what="the burst delivered")
    status, body = call_json(port, "/api/summary?sender=%2A%40brand.test&since=1h")
    assert status == 200, body
    cli = json.loads(h.cli("summary", "--sender", "*@brand.test", "--since", "1h", "--json").stdout)
    assert body["senders"] == cli["senders"]
    assert [row["sender"] for row in body["senders"]] == ["burst@brand.test"]
    assert body["senders"][0]["messages"] == 3 and body["senders"][0]["recipients"] == 6
    assert body["unreadable"] == []

    status, body = call_json(port, f"/api/trace?q={ids[0]}")
    assert status == 200, body
    cli = json.loads(h.cli("trace", ids[0], "--json").stdout)
    assert body["lines"] == cli and any(" <= " in l["line"] for l in cli), body

    for path in ("/api/summary?since=yesterday", "/api/summary?sender=a%20b",
                 "/api/trace", "/api/trace?q=two%20words", "/api/summary?since=%zz"):
        status, body = call_json(port, path)
        assert status == 400 and "error" in body, (path, body)


def test_doctor_api_runs_the_dns_checks(make_herald, dns_zone):
    port = free_port()
    dns = dns_zone(['brand.test. IN TXT "v=spf1 ip4:192.0.2.10 -all"',
                    '_dmarc.brand.test. IN TXT "v=DMARC1; p=reject"',
                    'brand.test. IN MX 10 mail.brand.test.'])
    make_herald(dns={"servers": [dns]}, **discarding(port))
    status, body = call_json(port, "/api/doctor?domain=brand.test&ip=192.0.2.99")
    assert status == 200, body
    checks = {(f["check"], f["level"]) for f in body["findings"]}
    assert ("spf", "PASS") in checks and ("dmarc", "PASS") in checks and ("mx", "PASS") in checks
    assert ("spf-ip", "FAIL") in checks and body["failed"] is True, body
    status, body = call_json(port, "/api/doctor?ip=192.0.2.99")
    assert status == 400 and "domain" in body["error"], body
    status, body = call_json(port, "/api/doctor?domain=brand.test&rbl=bad%20zone")
    assert status == 400, body


# -- the credential (issue 14): without [admin] token, the generated one is required ----------

def curl(port, path, method="GET", token=None, user=None):
    """(status, headers text, body text) of curl, run as `user` (runuser) when given."""
    argv = ["curl", "-sS", "-X", method, "-D", "-", "--max-time", "30",
            f"http://127.0.0.1:{port}{path}"]
    if token:
        argv[1:1] = ["-H", f"Authorization: Bearer {token}"]
    if user:
        argv = ["runuser", "-u", user, "--"] + argv
    result = subprocess.run(argv, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.decode().partition("\r\n\r\n")
    return int(head.split()[1]), head, body


def test_without_a_configured_token_the_api_needs_the_generated_one(make_herald):
    port = free_port()
    h = make_herald(**stuck(port))
    msg_id = send(h, "kept@client.herald.test", ["far@example.net"])
    h.wait_for(lambda: h.events(msg_id, "=="), what=f"{msg_id} deferred")

    path = h.spool_dir / "admin.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token), token
    assert "admin token in var/spool/admin.token" in h.stdout()  # where, never what
    for text in (h.stdout(), h.stderr(), h.mainlog()):
        assert token not in text

    wrong = "0" * 64
    for target, method in [("/api/queue", "GET"), ("/api/transports", "GET"),
                           (f"/api/trace?q={msg_id}", "GET"), ("/api/summary", "GET"),
                           (f"/api/queue/{msg_id}/delete", "POST"),
                           (f"/api/queue/{msg_id}/bounce", "POST"),
                           (f"/api/queue/{msg_id}/hold", "POST"), ("/api/queue/flush", "POST")]:
        for given in (None, wrong):
            status, head, body = curl(port, target, method, token=given)
            assert status == 401, (target, given, head)
            assert re.search(r"(?im)^WWW-Authenticate: Bearer", head), head
            assert "error" in json.loads(body), body
    # Nothing was deleted or bounced, nor shown.
    assert msg_id in h.queue_ids()
    assert not h.events(msg_id, "**")
    refused = [l for l in h.mainlog().splitlines() if "admin: refused" in l]
    assert any(f"POST /api/queue/{msg_id}/delete from 127.0.0.1: no bearer token" in l
               for l in refused), refused
    assert any("wrong credentials" in l for l in refused), refused
    assert wrong not in h.mainlog() and token not in h.mainlog()

    # /metrics stays open on loopback, for a local Prometheus.
    status, _, body = curl(port, "/metrics")
    assert status == 200 and "herald_queue_messages 1" in body, body

    # With the token, everything works; the console's page itself needs none.
    status, _, body = curl(port, "/api/queue", token=token)
    assert status == 200 and [e["id"] for e in json.loads(body)] == [msg_id], body
    assert curl(port, "/")[0] == 200
    status, _, body = curl(port, f"/api/queue/{msg_id}/delete", "POST", token=token)
    assert status == 200 and json.loads(body)["ok"] is True, body
    h.wait_for(lambda: msg_id not in h.queue_ids(), what=f"{msg_id} deleted")

    # The same token after a restart: clients keep working.
    h.restart()
    assert path.read_text().strip() == token
    assert curl(port, "/api/queue", token=token)[0] == 200
    assert curl(port, "/api/queue")[0] == 401


def test_a_local_user_cannot_read_the_token_and_is_refused(make_herald):
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs root and runuser to act as nobody")
    port = free_port()
    h = make_herald(**stuck(port))
    msg_id = send(h, "kept@client.herald.test", ["far@example.net"])
    path = h.spool_dir / "admin.token"
    # Let nobody reach the spool: only the file's own mode then stands in the way.
    opened = []
    for directory in [h.spool_dir, *h.spool_dir.parents]:
        mode = stat.S_IMODE(directory.stat().st_mode)
        if not mode & stat.S_IXOTH:
            os.chmod(directory, mode | stat.S_IXOTH)
            opened.append((directory, mode))
    try:
        read = subprocess.run(["runuser", "-u", "nobody", "--", "cat", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert read.returncode != 0 and "Permission denied" in read.stderr, read
        seen = subprocess.run(["runuser", "-u", "nobody", "--", "stat", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert seen.returncode == 0, seen  # the file was reachable: its mode refused it
        status, _, _ = curl(port, "/api/queue", user="nobody")
        assert status == 401
        status, _, _ = curl(port, f"/api/queue/{msg_id}/delete", "POST", user="nobody")
        assert status == 401
        assert curl(port, "/metrics", user="nobody")[0] == 200
    finally:
        for directory, mode in opened:
            os.chmod(directory, mode)
    assert msg_id in h.queue_ids()


def test_a_token_file_others_may_read_stops_start_up(make_herald):
    port = free_port()
    h = make_herald(**stuck(port))
    h.stop()
    path = h.spool_dir / "admin.token"
    os.chmod(path, 0o644)
    with pytest.raises(AssertionError) as failure:
        h.start()
    assert "admin.token" in str(failure.value) and "chmod 600" in str(failure.value)
    os.chmod(path, 0o600)
    h.start()
