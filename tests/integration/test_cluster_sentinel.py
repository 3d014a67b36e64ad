"""[cluster] with Redis Sentinel (issue 21): `redis = "redis-sentinel://...#herald"` makes each
node ask the sentinels where the master is, in the order given, and check with ROLE that it
is one. A real failover (the master killed, a real sentinel promoting the replica) moves
every node to the new master, and the suppressions they share keep working."""
import re

from herald_fixture import free_port
from redis_server import redis_server  # noqa: F401
from test_cluster import SENDER_DOMAIN, api, refused_as_suppressed, relay_one, suppressed_nodes


def up_on_master(h, port, after=0):
    """Waits for the mainlog line that says the node reached the master on `port`."""
    pattern = (r"cluster: Redis redis-sentinel://127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/0#herald "
               rf"is up \(master 127\.0\.0\.1:{port}\)")
    h.wait_for(lambda: len(re.findall(pattern, h.mainlog())) > after,
               what=f"the node on the master at port {port}", timeout=60)


def suppress(h, address):
    assert api(h, "POST", "/api/v1/suppressions",
               {"address": address, "domain": SENDER_DOMAIN, "reason": "asked to stop"}) == 201


def test_nodes_follow_the_master_the_sentinels_name_through_a_failover(make_herald,
                                                                       redis_server):
    master = redis_server()
    replica = redis_server(replica_of=master)
    sentinel = redis_server(sentinel_for=master)
    # A sentinel that is down comes first: the nodes go on to the next one.
    url = f"redis-sentinel://127.0.0.1:{free_port()},127.0.0.1:{sentinel.port}/0#herald"
    a, b = suppressed_nodes(make_herald, url, "a", "b")
    up_on_master(a, master.port), up_on_master(b, master.port)

    suppress(a, "before@example.net")
    b.wait_for(lambda: refused_as_suppressed(b, "before@example.net"),
               what="node b refusing what node a suppressed")
    # The replica has everything, and the sentinel knows it, before the master goes.
    # WAIT a second at a time: the client's socket gives up after 5 s, and a replica's first
    # sync on a busy machine can take longer.
    b.wait_for(lambda: master.client().execute_command("WAIT", 1, 1000) == 1,
               what="the replica acknowledging every write", timeout=60)
    sentinel.client()  # answering
    b.wait_for(lambda: sentinel.knows_replicas(1), what="the sentinel seeing the replica")

    master.kill()
    b.wait_for(lambda: sentinel.master_port() == replica.port,
               what="the sentinel promoting the replica", timeout=60)
    up_on_master(a, replica.port), up_on_master(b, replica.port)
    assert replica.client().hlen("herald:suppression") >= 1  # replicated, not lost

    # Shared through the new master, both ways.
    suppress(b, "after@example.net")
    a.wait_for(lambda: refused_as_suppressed(a, "after@example.net"),
               what="node a refusing what node b suppressed after the failover")
    assert refused_as_suppressed(a, "before@example.net")
    status = a.cli("cluster", "status")
    assert status.returncode == 0, status
    assert re.search(rb"^a\s+alive", status.stdout, re.M), status.stdout
    assert re.search(rb"^b\s+alive", status.stdout, re.M), status.stdout


def test_a_master_name_the_sentinels_do_not_know_is_told(make_herald, redis_server):
    master = redis_server()
    sentinel = redis_server(sentinel_for=master)
    (h,) = suppressed_nodes(make_herald,
                            f"redis-sentinel://127.0.0.1:{sentinel.port}/0#nosuch", "a")
    h.wait_for_log(r"cluster: Redis redis-sentinel://127\.0\.0\.1:\d+/0#nosuch is unreachable "
                   r"\(sentinel 127\.0\.0\.1:\d+: it monitors no master named nosuch\)")
    assert relay_one(h) is None  # fail-open: mail flows


def test_sentinels_that_want_a_password_get_the_one_in_its_file(make_herald, redis_server,
                                                               tmp_path):
    master = redis_server()
    sentinel = redis_server(sentinel_for=master, password="sentinel-secret")
    url = f"redis-sentinel://127.0.0.1:{sentinel.port}/0#herald"
    (refused,) = suppressed_nodes(make_herald, url, "a")
    refused.wait_for_log(r"is unreachable \(sentinel 127\.0\.0\.1:\d+: Redis refused PING: "
                         r"NOAUTH")
    secret = tmp_path / "sentinel.secret"
    secret.write_text("sentinel-secret\n")
    secret.chmod(0o600)
    (h,) = suppressed_nodes(make_herald, url, "b", sentinel_password_file=str(secret))
    h.wait_for_log(rf"is up \(master 127\.0\.0\.1:{master.port}\)")
    assert "sentinel-secret" not in h.mainlog()


def test_sentinel_password_file_needs_sentinels(make_herald, tmp_path):
    secret = tmp_path / "sentinel.secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    h = make_herald(start=False, cluster={"redis": "redis://127.0.0.1:6379/0", "node": "a",
                                          "sentinel_password_file": str(secret)})
    result = h.cli("check-config")
    assert result.returncode == 2, result
    assert b"cluster.sentinel_password_file" in result.stdout + result.stderr, result
