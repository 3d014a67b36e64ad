"""make bench, the cluster line (issue 21): two Herald nodes whose [[rate_limit]] is counted in
one redis-server, under the relay load split between them, against one node counting the same
limit locally. The limit is never reached: what is measured is the cost of counting in Redis,
which every relayed message pays once (one EVALSHA)."""
import os
import re
import subprocess
from pathlib import Path

from local_service import free_port, stop_child, wait_port

# Far above any rate here: every message is counted, none refused.
RATE_LIMIT = """
[[rate_limit]]
match = "sender"
limit = "1000000000/hour"
"""


def cluster_section(redis_port, node):
    return f"""
[cluster]
redis = "redis://127.0.0.1:{redis_port}/0"
node = "{node}"
"""


class RedisProcess:
    """A private redis-server on loopback, without persistence."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.dir), "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)

    def cpu_seconds(self):
        """User and system CPU time of redis-server so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def command_stats(self):
        """{command: (calls, usec)} of INFO commandstats."""
        out = subprocess.run(["redis-cli", "-p", str(self.port), "INFO", "commandstats"],
                             capture_output=True, text=True, check=True).stdout
        stats = {}
        for name, calls, usec in re.findall(r"cmdstat_(\w+):calls=(\d+),usec=(\d+)", out):
            stats[name] = (int(calls), int(usec))
        return stats

    def stop(self):
        stop_child(self.proc, timeout=10)
