"""A real redis-server for the cluster tests: its own port on loopback, its own directory, no
persistence (a restart comes back empty, as a Redis that lost its data does). Also a replica
of one, and a Redis Sentinel (the same binary with --sentinel) that fails over to it."""
import os
import signal
import subprocess
import time

import pytest
import redis

from herald_fixture import free_port


class RedisServer:
    def __init__(self, workdir, password=None, tls=None, replica_of=None):
        """tls: (cert, key, ca) paths for a TLS-only server. replica_of: a RedisServer."""
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        self.tls = tls
        self.replica_of = replica_of
        self.proc = None

    @property
    def url(self):
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://127.0.0.1:{self.port}/0"

    def start(self):
        args = ["redis-server", "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
                "--logfile", str(self.dir / "redis.log")]
        if self.tls:
            cert, key, ca = self.tls
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(cert),
                     "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
                     "--tls-auth-clients", "no"]
        else:
            args += ["--port", str(self.port)]
        if self.password:
            args += ["--requirepass", self.password]
        if self.replica_of:
            args += ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
        return self.run(args)

    def run(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client().ping():
                    return self
            except redis.exceptions.RedisError:
                pass
            assert self.proc.poll() is None, (self.dir / "redis.log").read_text()
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)

    def client(self):
        kwargs = {"host": "127.0.0.1", "port": self.port, "password": self.password,
                  "socket_timeout": 5, "decode_responses": True}
        if self.tls:
            kwargs.update(ssl=True, ssl_ca_certs=str(self.tls[2]))
        return redis.Redis(**kwargs)

    def kill(self):
        """SIGKILL: Redis gone at once, its data with it."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)


class RedisSentinel(RedisServer):
    """One sentinel watching `master` under the name `name`, quick to fail over: down after
    1 s of silence, and a quorum of one (itself)."""

    def __init__(self, workdir, master, name="herald", password=None):
        super().__init__(workdir, password=password)
        self.master = master
        self.name = name

    def start(self):
        conf = self.dir / "sentinel.conf"  # Sentinel rewrites its file: its own, writable
        conf.write_text(f"""port {self.port}
bind 127.0.0.1
dir {self.dir}
logfile {self.dir / "redis.log"}
sentinel monitor {self.name} 127.0.0.1 {self.master.port} 1
sentinel down-after-milliseconds {self.name} 1000
sentinel failover-timeout {self.name} 5000
""" + (f"requirepass {self.password}\n" if self.password else ""))
        return self.run(["redis-server", str(conf), "--sentinel"])

    def master_port(self):
        host, port = self.client().execute_command("SENTINEL", "get-master-addr-by-name",
                                                   self.name)
        return int(port)

    def knows_replicas(self, count):
        return len(self.client().execute_command("SENTINEL", "replicas", self.name)) == count


@pytest.fixture
def redis_server(tmp_path):
    """redis_server(password=None, tls=None, replica_of=None) -> a started RedisServer, or
    redis_server(sentinel_for=server) -> a started RedisSentinel; all stopped at teardown."""
    servers = []

    def make(sentinel_for=None, **kwargs):
        """sentinel_for: a RedisServer, which the new server watches as a sentinel."""
        workdir = tmp_path / f"redis{len(servers)}"
        if sentinel_for:
            server = RedisSentinel(workdir, sentinel_for, **kwargs)
        else:
            server = RedisServer(workdir, **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        if server.proc and server.proc.poll() is None:
            server.resume()
        server.kill()
