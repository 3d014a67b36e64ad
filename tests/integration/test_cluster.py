"""[cluster] (issue 21): Herald nodes sharing state through a real redis-server on loopback.
Two and three nodes count against one rate limit, see each other's suppressions, provider
back-offs, AUTH failures and API idempotency keys; Redis killed, stopped (SIGSTOP, a
partition), refusing the password or answering garbage never stops mail: each node falls back
to its share of the limits, says so in the mainlog and /metrics, and goes back to Redis when
it answers again. rediss:// verifies Redis' certificate."""
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

from herald_fixture import LOCAL_USERS, admin_token_for, free_port, stuck_queue_config
from redis_server import redis_server  # noqa: F401
from test_rate_limits import relay_one as relay_through

LOCAL = {"recipients": LOCAL_USERS, "domains": ["local.herald.test"]}
RELAY = {"networks": ["127.0.0.0/8"]}
TEN_AN_HOUR = [{"match": "sender", "limit": "10/hour"}]


def relay_one(h, sender="app@client.herald.test", rcpt="someone@example.net"):
    """One message through `h`; the refusal (code, text) or None when it was queued."""
    return relay_through(h, sender, rcpt)


def cluster_section(redis, name, **keys):
    """[cluster] for node `name`: a busy test machine can stall a command past the default
    250 ms, which would make a node count alone; only the tests of timeouts set a short one."""
    url = redis.url if hasattr(redis, "url") else redis
    return {"redis": url, "node": name, "timeout_ms": 2000, **keys}


def node(make_herald, redis, name, rate_limit=TEN_AN_HOUR, admin=False, start=True, **keys):
    # Every message stays queued: nothing here is about delivery.
    sections = dict(relay=RELAY, local=LOCAL, rate_limit=rate_limit, **stuck_queue_config())
    sections["cluster"] = cluster_section(redis, name, **keys)
    if admin:
        sections["admin"] = {"http": f"127.0.0.1:{free_port()}"}
    return make_herald(start=start, **sections)


def metrics(h):
    port = int(h.config["admin"]["http"].rsplit(":", 1)[1])
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": f"Bearer {admin_token_for(port)}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def sample(text, name):
    """The value of the first sample of `name` (whatever its labels)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def nodes_seen(h, count):
    h.wait_for(lambda: sample(metrics(h), "herald_cluster_nodes") == count,
               what=f"{count} nodes seen")


def cluster_up(h):
    h.wait_for_log(r"cluster: Redis redis://(\*\*\*@)?127\.0\.0\.1:\d+/0 is up")


def test_two_nodes_share_a_limit_of_ten_an_hour(make_herald, redis_server):
    redis = redis_server()
    a, b = node(make_herald, redis, "a"), node(make_herald, redis, "b")
    cluster_up(a), cluster_up(b)
    for i in range(10):
        assert relay_one(a if i % 2 else b) is None, f"message {i + 1} of 10 was refused"
    for h in (a, b):
        code, text = relay_one(h)
        assert code == 451 and text.startswith(b"4.7.1") and b"10/hour" in text, (code, text)
    # The count is Redis': one key for the rule and sender, holding the GCRA's time.
    keys = redis.client().keys("herald:rate:*")
    assert keys == ["herald:rate:sender,10,3600 app@client.herald.test"], keys
    # Another sender has its own 10.
    assert relay_one(b, sender="other@client.herald.test") is None


def test_three_nodes_share_one_limit(make_herald, redis_server):
    redis = redis_server()
    nodes = [node(make_herald, redis, name, admin=True) for name in ("n1", "n2", "n3")]
    for h in nodes:
        cluster_up(h)
    taken = sum(relay_one(nodes[i % 3]) is None for i in range(12))
    assert taken == 10, taken
    nodes_seen(nodes[0], 3)
    # Every sample of /metrics names its node.
    text = metrics(nodes[1])
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all('node="n2"' in line for line in samples), samples[:5]


def test_status_lists_the_nodes(make_herald, redis_server):
    redis = redis_server()
    a, b = node(make_herald, redis, "alpha"), node(make_herald, redis, "beta")
    relay_one(a)
    a.wait_for(lambda: {n["node"] for n in json.loads(
        a.cli("cluster", "status", "--json").stdout.decode())["nodes"]} == {"alpha", "beta"},
        what="both nodes in cluster status")
    a.wait_for(lambda: {n["node"]: n["queued"] for n in json.loads(
        a.cli("cluster", "status", "--json").stdout.decode())["nodes"]}["alpha"] == 1,
        what="alpha's queued message in its heartbeat")
    table = b.cli("cluster", "status")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.decode().splitlines()
    assert lines[0].split()[:3] == ["node", "state", "last"], lines
    assert any(line.split()[:2] == ["alpha", "alive"] for line in lines), lines
    assert any(line.split()[:2] == ["beta", "alive"] for line in lines), lines
    # Redis gone: a clear error and exit 1; no [cluster]: exit 2.
    redis.kill()
    gone = a.cli("cluster", "status")
    assert gone.returncode == 1 and b"Redis redis://127.0.0.1" in gone.stderr, gone
    alone = make_herald(start=False)
    result = alone.cli("cluster", "status")
    assert result.returncode == 2 and b"no [cluster]" in result.stderr, result


def test_two_nodes_with_one_name_are_told(make_herald, redis_server):
    redis = redis_server()
    a, b = node(make_herald, redis, "same"), node(make_herald, redis, "same")
    warning = r"cluster: another running node calls itself same; give each node its own"
    a.wait_for(lambda: any(re.search(warning, h.mainlog()) for h in (a, b)),
               what="the clash of names in a mainlog")


def test_redis_killed_mail_flows_within_each_nodes_share_then_recovers(make_herald,
                                                                        redis_server):
    redis = redis_server()
    a = node(make_herald, redis, "a", admin=True)
    b = node(make_herald, redis, "b")
    cluster_up(a), cluster_up(b)
    nodes_seen(a, 2)
    redis.kill()
    a.wait_for_log(r"cluster: Redis redis://127\.0\.0\.1:\d+/0 is unreachable \(.*\); "
                   r"counting locally")
    # Fail-open: each node takes its share, 10 / 2 nodes.
    for i in range(5):
        assert relay_one(a) is None, f"message {i + 1} of this node's 5 was refused"
    code, text = relay_one(a)
    assert code == 451 and b"shared by 2 nodes" in text, (code, text)
    m = metrics(a)
    assert sample(m, "herald_cluster_redis_up") == 0
    assert sample(m, "herald_cluster_local_counts_total") == 6
    # Back, and empty: the nodes count in Redis again.
    redis.start()
    a.wait_for(lambda: sample(metrics(a), "herald_cluster_redis_up") == 1, what="Redis up again")
    assert sample(metrics(a), "herald_cluster_redis_state_changes_total") == 2
    assert relay_one(a, sender="fresh@client.herald.test") is None
    assert redis.client().exists("herald:rate:sender,10,3600 fresh@client.herald.test")


def test_fail_closed_refuses_what_a_limit_would_count(make_herald, redis_server):
    redis = redis_server()
    h = node(make_herald, redis, "a", on_failure="closed")
    cluster_up(h)
    redis.kill()
    h.wait_for_log(r"is unreachable")
    code, text = relay_one(h)
    assert code == 451 and b"the cluster's Redis is unreachable" in text, (code, text)
    # What no limit counts still goes: local mail and bounces.
    assert relay_one(h, rcpt="bob@local.herald.test") is None
    assert relay_one(h, sender="") is None


def test_a_stopped_redis_costs_a_timeout_not_a_hang(make_herald, redis_server):
    redis = redis_server()
    h = node(make_herald, redis, "a", timeout_ms=200)
    cluster_up(h)
    redis.pause()  # a partition: the socket stays open, nothing answers
    try:
        # Every message is answered; those that met the stopped Redis fell back.
        for _ in range(3):
            assert relay_one(h) is None
        h.wait_for_log(r"is unreachable \(no reply within 200 ms\)")
    finally:
        redis.resume()
    h.wait_for(lambda: h.mainlog().count(" is up") == 2, what="the link up again")
    assert relay_one(h, sender="later@client.herald.test") is None
    assert redis.client().exists("herald:rate:sender,10,3600 later@client.herald.test")


def test_wrong_password_is_told_and_mail_still_flows(make_herald, redis_server, tmp_path):
    redis = redis_server(password="right-secret")
    wrong = f"redis://:wrong-secret@127.0.0.1:{redis.port}/0"
    h = node(make_herald, wrong, "a")
    h.wait_for_log(r"cluster: Redis redis://\*\*\*@127\.0\.0\.1:\d+/0 is unreachable "
                   r"\(Redis refused the login: WRONGPASS")
    assert "wrong-secret" not in h.mainlog() and "wrong-secret" not in h.stdout()
    assert relay_one(h) is None
    # The right password from a file that only its owner reads.
    secret = tmp_path / "redis.secret"
    secret.write_text("right-secret\n")
    secret.chmod(0o600)
    good = node(make_herald, redis.url, "b", password_file=str(secret))
    cluster_up(good)
    assert relay_one(good) is None
    assert redis.client().keys("herald:rate:*")
    # A password file others can read is refused, by check-config as by serve.
    secret.chmod(0o644)
    exposed = node(make_herald, redis.url, "c", start=False, password_file=str(secret))
    result = exposed.cli("check-config")
    assert result.returncode == 2, result
    assert b"password_file" in result.stdout + result.stderr, result


class GarbageServer:
    """Answers every connection with bytes that are not RESP."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n\x00\xff garbage\r\n")
            except OSError:
                pass
            finally:
                conn.close()


def test_a_server_that_answers_garbage(make_herald):
    garbage = GarbageServer()
    h = node(make_herald, f"redis://127.0.0.1:{garbage.port}/0", "a")
    h.wait_for_log(r"is unreachable \(not a Redis reply")
    for _ in range(3):
        assert relay_one(h) is None
    h.assert_alive()
    garbage.sock.close()


def test_bad_cluster_config_is_named(make_herald):
    h = make_herald(start=False, cluster={"redis": "http://127.0.0.1:6379", "node": "a b"})
    result = h.cli("check-config")
    assert result.returncode != 0
    out = (result.stdout + result.stderr).decode()
    assert "cluster.redis" in out and "redis://" in out, out
    assert "cluster.node" in out, out


# -- suppressions ---------------------------------------------------------------------------

SENDER_DOMAIN = "client.herald.test"


def api(h, method, path, body=None):
    port = int(h.config["admin"]["http"].rsplit(":", 1)[1])
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {admin_token_for(port)}",
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def refused_as_suppressed(h, rcpt):
    refusal = relay_one(h, rcpt=rcpt)
    return refusal is not None and refusal[0] == 550 and b"suppressed since" in refusal[1]


def suppressed_nodes(make_herald, redis, *names, **keys):
    return [node(make_herald, redis, name, rate_limit=[], admin=True, **keys) for name in names]


def test_a_suppression_added_on_one_node_is_refused_by_the_other(make_herald, redis_server):
    redis = redis_server()
    a, b = suppressed_nodes(make_herald, redis, "a", "b")
    cluster_up(a), cluster_up(b)
    assert relay_one(b, rcpt="gone@example.net") is None
    assert api(a, "POST", "/api/v1/suppressions",
               {"address": "gone@example.net", "domain": SENDER_DOMAIN,
                "reason": "asked to stop"}) == 201
    b.wait_for(lambda: refused_as_suppressed(b, "gone@example.net"),
               what="node b refusing what node a suppressed")
    check = b.cli("suppress", "check", "gone@example.net", "--domain", SENDER_DOMAIN)
    assert check.returncode == 0 and b"asked to stop" in check.stdout, check
    # Removed on b: a takes mail for it again.
    assert api(b, "DELETE", "/api/v1/suppressions?address=gone%40example.net&domain="
               + SENDER_DOMAIN) == 204
    a.wait_for(lambda: relay_one(a, rcpt="gone@example.net") is None,
               what="node a taking mail again after node b removed the entry")


def test_the_command_line_shares_what_it_changes(make_herald, redis_server):
    redis = redis_server()
    a, b = suppressed_nodes(make_herald, redis, "a", "b")
    cluster_up(a), cluster_up(b)
    added = a.cli("suppress", "add", "cli@example.net", "--domain", SENDER_DOMAIN)
    assert added.returncode == 0 and b"warning" not in added.stderr, added
    b.wait_for(lambda: refused_as_suppressed(b, "cli@example.net"), what="b refusing")
    removed = b.cli("suppress", "remove", "cli@example.net", "--domain", SENDER_DOMAIN)
    assert removed.returncode == 0, removed
    a.wait_for(lambda: a.cli("suppress", "check", "cli@example.net", "--domain",
                             SENDER_DOMAIN).returncode == 1, what="a dropping the entry")
    # Redis unreachable: the change is made here and the command says it is not shared yet.
    redis.kill()
    alone = a.cli("suppress", "add", "later@example.net", "--domain", SENDER_DOMAIN)
    assert alone.returncode == 0 and b"not shared with the cluster now" in alone.stderr, alone


def test_an_import_reaches_the_other_nodes(make_herald, redis_server, tmp_path):
    redis = redis_server()
    a, b = suppressed_nodes(make_herald, redis, "a", "b")
    cluster_up(a), cluster_up(b)
    csv = tmp_path / "list.csv"
    csv.write_text("address,domain,reason\n" + "".join(
        f"imported{i}@example.net,{SENDER_DOMAIN},old list\n" for i in range(50)))
    imported = a.cli("suppress", "import", str(csv))
    assert imported.returncode == 0 and b"imported 50" in imported.stdout, imported
    assert b"warning" not in imported.stderr, imported
    # Node a merges with Redis at once, which writes the 50 there and tells b.
    a.wait_for_log(r"cluster: suppressions merged with Redis: 50 sent")
    b.wait_for(lambda: refused_as_suppressed(b, "imported49@example.net"), what="b refusing")
    assert redis.client().hlen("herald:suppression") == 50
    # With no node listening, the command says the import is not shared yet (node a shares
    # it when it starts: its merge finds what Redis lacks).
    a.stop(), b.stop()
    late = tmp_path / "late.csv"
    late.write_text(f"late@example.net,{SENDER_DOMAIN}\n")
    alone = a.cli("suppress", "import", str(late))
    assert alone.returncode == 0, alone
    assert b"what was imported is not shared with the cluster now" in alone.stderr, alone
    assert b"no node is listening (is a running?)" in alone.stderr, alone


def test_a_redis_that_comes_back_empty_is_refilled(make_herald, redis_server):
    redis = redis_server()
    a, b = suppressed_nodes(make_herald, redis, "a", "b")
    cluster_up(a), cluster_up(b)
    for i in range(3):
        assert api(a, "POST", "/api/v1/suppressions",
                   {"address": f"old{i}@example.net", "domain": "*"}) == 201
    wait_for_hash = lambda n: b.wait_for(  # noqa: E731
        lambda: redis.client().hlen("herald:suppression") == n, what=f"{n} entries in Redis")
    wait_for_hash(3)
    redis.kill()
    a.wait_for_log("is unreachable")
    # Added while Redis is away: kept on the node, shared once it is back.
    assert api(a, "POST", "/api/v1/suppressions",
               {"address": "during@example.net", "domain": "*"}) == 201
    redis.start()
    wait_for_hash(4)
    a.wait_for_log(r"cluster: suppressions merged with Redis: \d sent")
    b.wait_for(lambda: refused_as_suppressed(b, "during@example.net"),
               what="b refusing what a added while Redis was away")
    entry = json.loads(redis.client().hget("herald:suppression", "* old1@example.net"))
    assert entry["source"] == "api" and entry["created"] > 0, entry


# -- shaping --------------------------------------------------------------------------------

def test_a_back_off_one_node_was_told_holds_on_the_other(make_herald, dns_zone, smtp_receiver,
                                                         redis_server):
    from herald_fixture import delivery_config, send
    from receivers import free_port_on
    from test_shaping import BIGMAIL, MX1, MX2, SENDER_MX, SHAPING, SOURCE, ZONE, rule, status

    redis = redis_server()
    port = free_port_on([MX1, MX2, SENDER_MX])
    zone = dns_zone(ZONE)

    def shaping_node(name):
        config = delivery_config(
            zone, port, retry=("1s",), mx={"source_address": SOURCE}, provider=[BIGMAIL],
            shaping_rule=[rule("bigmail-tss04", "suspend", match=r"\[TSS04\]", duration="1h")])
        config["cluster"] = cluster_section(redis, name)
        return make_herald(**config)

    a, b = shaping_node("a"), shaping_node("b")
    cluster_up(a), cluster_up(b)
    # Like Yahoo: after one message, [TSS04] for an hour.
    smtp_receiver(MX1, port, throttle={"volume_after": 1, "volume_for": 3600})
    mx2 = smtp_receiver(MX2, port)
    first = send(a, "alice@sender.test", ["a1@alpha.test"])
    a.wait_for(lambda: a.completed(first), what="the first message Completed")
    send(a, "alice@sender.test", ["a2@alpha.test"])
    a.wait_for_log(SHAPING + r"suspended until \S+ \(421 4\.7\.0 ")
    # Node b was never told [TSS04] itself, and holds back from the same address.
    b.wait_for_log(SHAPING + r"suspended until \S+ \(node a was told: rule 'bigmail-tss04'\)")
    suspended = [s for p in json.loads(b.cli("shaping", "status", "--json").stdout)["providers"]
                 if p["name"] == "bigmail" for s in p.get("sources", [])]
    assert suspended and suspended[0]["suspended_until"], suspended
    # Held: retried every second, it would have reached mx2 (which takes mail) by now.
    held = send(b, "alice@sender.test", ["b1@beta.test"])
    time.sleep(4)
    assert mx2.connections() == 0 and not b.completed(held)
    # A reset on b releases both nodes.
    assert b.cli("shaping", "reset", "bigmail").returncode == 0
    a.wait_for_log(r"shaping: bigmail: reactions cleared by the administrator")
    b.wait_for(lambda: b.completed(held), what="b's message delivered after the reset")


# -- AUTH failures --------------------------------------------------------------------------

def test_a_guesser_spreading_tries_over_the_nodes_meets_one_count(make_herald, redis_server):
    from herald_fixture import openssl_passwd
    from test_auth_throttle import ALICE_PASSWORD, WRONG, auth_codes

    redis = redis_server()
    users = [{"name": "alice", "password_hash": openssl_passwd(ALICE_PASSWORD),
              "sender_domains": ["client.herald.test"]}]
    nodes = [make_herald(listeners=("submission",), user=users,
                         smtp={"allow_plaintext_auth_on_loopback": True},
                         limits={"auth_failure_delay": "0s",
                                 "auth_failures_before_lockout": 6},
                         cluster=cluster_section(redis, name)) for name in ("a", "b")]
    for h in nodes:
        cluster_up(h)
    # Three wrong passwords on each node: six in all, the cluster's limit.
    codes = [code for h in nodes for code, _ in auth_codes(h, "alice", WRONG, times=3)]
    assert codes == [535] * 6, codes
    # Locked on both, the right password included, and for the user from elsewhere too.
    for h in nodes:
        assert auth_codes(h, "alice", ALICE_PASSWORD)[0][0] == 454
    assert auth_codes(nodes[1], "alice", ALICE_PASSWORD, source="127.0.0.2")[0][0] == 454
    assert redis.client().exists("herald:auth:lock:user:alice")
    nodes[0].wait_for(lambda: "AUTH locked out for" in nodes[0].mainlog() + nodes[1].mainlog(),
                      what="the lockout in a mainlog")


# -- the sending API ------------------------------------------------------------------------

def test_the_api_shares_idempotency_keys_and_key_rate_limits(make_herald, redis_server, tmp_path):
    from test_api import LOCAL, OTHER_TOKEN, SIGNER, api_herald, arrivals, post

    redis = redis_server()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, _ = api_herald(make_herald, tmp_path / "a", cluster=cluster_section(redis, "a"))
    b, _ = api_herald(make_herald, tmp_path / "b", cluster=cluster_section(redis, "b"))
    cluster_up(a), cluster_up(b)
    body = {"from": f"app@{SIGNER}", "to": [f"bob@{LOCAL}"], "subject": "once", "text": "x"}
    first = post(a, body, headers={"Idempotency-Key": "order-7"})
    assert first.status_code == 202, first.text
    # The retry reaches the other node: the first answer, and nothing queued there.
    again = post(b, body, headers={"Idempotency-Key": "order-7"})
    assert again.status_code == 202 and again.json() == first.json(), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = post(b, dict(body, subject="another"), headers={"Idempotency-Key": "order-7"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert len(arrivals(a)) == 1 and arrivals(b) == []
    # The API key "other" may send 2 an hour: one through each node, then none.
    mail = {"from": "app@other.test", "to": ["someone@example.net"], "subject": "s", "text": "t"}
    assert post(a, mail, token=OTHER_TOKEN).status_code == 202
    assert post(b, mail, token=OTHER_TOKEN).status_code == 202
    for h in (a, b):
        refused = post(h, mail, token=OTHER_TOKEN)
        assert refused.status_code == 429, refused.text


# -- TLS --------------------------------------------------------------------------------------

def test_rediss_verifies_the_certificate_of_redis(make_herald, redis_server, tmp_path):
    from herald_fixture import make_ca_and_cert

    ca, cert, key = make_ca_and_cert(tmp_path / "tls", names=("redis.herald.test",))
    redis = redis_server(tls=(cert, key, ca))
    good = node(make_herald, f"rediss://127.0.0.1:{redis.port}/0", "a", tls_ca=str(ca))
    good.wait_for_log(r"cluster: Redis rediss://127\.0\.0\.1:\d+/0 is up")
    assert relay_one(good) is None
    assert redis.client().keys("herald:rate:*")
    # Another CA (the system's) does not vouch for it: no link, and mail still flows.
    other_ca, _, _ = make_ca_and_cert(tmp_path / "other", names=("other.herald.test",))
    bad = node(make_herald, f"rediss://127.0.0.1:{redis.port}/0", "b", tls_ca=str(other_ca))
    bad.wait_for_log(r"is unreachable \(TLS: the certificate does not verify")
    assert relay_one(bad) is None
    # A name the certificate does not hold is refused too.
    ca_file = str(ca)
    wrong = node(make_herald, f"rediss://localhost:{redis.port}/0", "c", tls_ca=ca_file)
    wrong.wait_for_log(r"is unreachable \(TLS: the certificate does not verify")


# -- warm-up ----------------------------------------------------------------------------------

def test_a_warming_address_has_one_daily_cap_for_the_whole_cluster(make_herald, dns_zone,
                                                                    smtp_receiver, redis_server):
    from herald_fixture import delivery_config
    from receivers import free_port_on
    from test_ip_pools import BIGMAIL, FLEET, ZONE, send_many, status_of

    redis = redis_server()
    port = free_port_on([FLEET])
    zone = dns_zone(ZONE)
    pool = {"name": "out", "address": [{"address": "127.0.0.4", "warmup_start": 3,
                                        "warmup_factor": 2.0}]}

    def warming_node(name):
        config = delivery_config(zone, port, mx={"source_pool": "out"}, provider=[BIGMAIL],
                                 ip_pool=[pool])
        config["cluster"] = cluster_section(redis, name)
        return make_herald(**config)

    a, b = warming_node("a"), warming_node("b")
    cluster_up(a), cluster_up(b)
    fleet = smtp_receiver(FLEET, port)
    first = send_many(a, 2)
    a.wait_for(lambda: all(a.completed(i) for i in first), what="a's two delivered")
    # b learns the address sent 2 of its 3 today, and sends one more only.
    b.wait_for(lambda: (status_of(b, "127.0.0.4") or {}).get("sent_today") == 2,
               what="b counting a's two")
    rest = send_many(b, 3)
    b.wait_for(lambda: sum(b.completed(i) for i in rest) == 1, what="one of b's delivered")
    b.wait_for(lambda: status_of(b, "127.0.0.4")["sent_today"] == 3, what="three counted on b")
    a.wait_for(lambda: status_of(a, "127.0.0.4")["sent_today"] == 3, what="three counted on a")
    assert len(fleet.messages()) == 3
    assert len(json.loads(b.cli("queue", "list", "--json").stdout)) == 2


def test_nodes_sending_from_one_address_share_the_providers_limits(make_herald, dns_zone,
                                                                   smtp_receiver, redis_server):
    from herald_fixture import delivery_config, send
    from receivers import free_port_on
    from test_shaping import BIGMAIL, MX1, MX2, SENDER_MX, SOURCE, ZONE, source_status

    redis = redis_server()
    port = free_port_on([MX1, MX2, SENDER_MX])
    zone = dns_zone(ZONE)

    def sending_node(name):
        config = delivery_config(zone, port, mx={"source_address": SOURCE},
                                 provider=[{**BIGMAIL, "max_messages_per_hour": 3600,
                                            "max_connections": 4}])
        config["cluster"] = cluster_section(redis, name)
        return make_herald(**config)

    a, b = sending_node("a"), sending_node("b")
    cluster_up(a), cluster_up(b)
    smtp_receiver(MX1, port)
    for h in (a, b):
        sent = send(h, "alice@sender.test", ["a1@alpha.test"])
        h.wait_for(lambda h=h, sent=sent: h.completed(sent), what="a message delivered")
    # Both sent from 127.0.0.2 to bigmail within the minute: each takes half its 3600/h.
    for h in (a, b):
        h.wait_for(lambda h=h: (source_status(h) or {}).get("nodes_sharing") == 2,
                   what="two nodes sharing the address")
        assert source_status(h)["rate_per_hour"] == 1800, source_status(h)
