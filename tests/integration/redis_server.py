"""A real redis-server for the cluster tests: its own port on loopback, its own directory, no
persistence (a restart comes back empty, as a Redis that lost its data does)."""
import os
import signal
import subprocess
import time

import pytest
import redis

from herald_fixture import free_port


class RedisServer:
    def __init__(self, workdir, password=None, tls=None):
        """tls: (cert, key, ca) paths for a TLS-only server."""
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        self.tls = tls
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


@pytest.fixture
def redis_server(tmp_path):
    """redis_server(password=None, tls=None) -> a started RedisServer; all stopped at teardown."""
    servers = []

    def make(**kwargs):
        server = RedisServer(tmp_path / f"redis{len(servers)}", **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        if server.proc and server.proc.poll() is None:
            server.resume()
        server.kill()
