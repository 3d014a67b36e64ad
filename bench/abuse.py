"""make bench-abuse: what unfinished DATA transfers cost Herald in memory (issue 14).

1,000 concurrent connections each send MAIL, RCPT, DATA and 10 MB of text, then stop short of
the final dot and hang. Herald's RSS (VmRSS of /proc/PID/status) is sampled all along and
while they hang; the peak is printed and compared with the goal: under 150 MB, whatever the
clients send, since the text goes to the spool as it arrives. A benchmark, not a test: it
prints, and exits non-zero only if Herald dies or the goal is missed.

--connections and --megabytes change the load; --stop-above (MB) stops sending once Herald's
RSS passes it, so that a build that holds DATA in memory can be measured without exhausting
the machine (the peak is then reported as "over"). The spool needs --connections x
--megabytes of free disk while the clients hang.
"""
import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_service import free_port, stop_child, wait_port  # noqa: E402
from run import HERALD, herald_config  # noqa: E402

GOAL_MB = 150
CHUNK = (b"x" * 998 + b"\r\n") * 64  # 64,000 octets of valid text lines


def rss_kib(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


class Sampler:
    """Herald's RSS every 50 ms, from start to stop; the peak and the last value."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self.last = 0
        self.running = True

    async def run(self):
        while self.running:
            self.last = rss_kib(self.pid)
            self.peak = max(self.peak, self.last)
            await asyncio.sleep(0.05)


async def expect(reader, code):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed by Herald")
        if line[3:4] != b"-":
            if not line.startswith(code):
                raise RuntimeError(f"expected {code!r}, got {line!r}")
            return


async def client(port, megabytes, hang, sent, stop):
    """One connection: the envelope, DATA, `megabytes` of text without the end, then hang."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await expect(reader, b"220")
        for command, code in ((b"EHLO abuse.example", b"250"),
                              (b"MAIL FROM:<a@abuse.example>", b"250"),
                              (b"RCPT TO:<b@sink.example>", b"250"), (b"DATA", b"354")):
            writer.write(command + b"\r\n")
            await expect(reader, code)
        writer.write(b"Subject: never finished\r\n\r\n")
        total = megabytes * 1000 * 1000
        while total > 0 and not stop.is_set():
            piece = CHUNK[:total]
            writer.write(piece)
            await writer.drain()
            total -= len(piece)
            sent[0] += len(piece)
        await hang.wait()
    finally:
        writer.close()


async def attack(port, pid, args):
    sampler = Sampler(pid)
    sampling = asyncio.create_task(sampler.run())
    hang = asyncio.Event()
    stop = asyncio.Event()
    sent = [0]

    async def watch():
        while not stop.is_set():
            if sampler.last > args.stop_above * 1024:
                stop.set()
            await asyncio.sleep(0.05)

    watching = asyncio.create_task(watch())
    started = time.monotonic()
    clients = []
    for _ in range(args.connections):
        clients.append(asyncio.create_task(client(port, args.megabytes, hang, sent, stop)))
        await asyncio.sleep(0)
    done = asyncio.gather(*clients)
    # Every client has sent all it will send once the bytes stop growing and none is writing.
    last, steady = -1, 0
    while steady < 20 and not stop.is_set():
        await asyncio.sleep(0.1)
        steady = steady + 1 if sent[0] == last else 0
        last = sent[0]
        if done.done():
            break
    elapsed = time.monotonic() - started
    await asyncio.sleep(args.hang_seconds)  # hanging: what stays pinned
    hanging = sampler.last
    hang.set()
    stop.set()
    results = await asyncio.gather(done, return_exceptions=True)
    sampler.running = False
    await sampling
    watching.cancel()
    failures = [r for r in (results[0] if isinstance(results[0], list) else results)
                if isinstance(r, Exception)]
    return sampler.peak, hanging, sent[0], elapsed, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--megabytes", type=int, default=10)
    parser.add_argument("--hang-seconds", type=float, default=5.0)
    parser.add_argument("--stop-above", type=int, default=4000, metavar="MB")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * args.connections + 200  # a socket each here; a socket and a spool file in Herald
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit(f"bench-abuse: needs {need} file descriptors, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))  # Herald inherits it

    workdir = Path(tempfile.mkdtemp(prefix="herald-abuse-"))
    proc = None
    try:
        port = free_port()
        config = herald_config(port, "sink", free_port()).replace(
            "max_connections_per_ip = 1000",
            f"max_connections_per_ip = {args.connections + 10}\n"
            f"max_connections = {args.connections + 10}")
        (workdir / "herald.toml").write_text(config)
        proc = subprocess.Popen([str(HERALD), "serve", "--allow-root", "--foreground", "--config", "herald.toml"],
                                cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, proc=proc)
        time.sleep(0.5)
        idle = rss_kib(proc.pid)
        print(f"Herald {HERALD}: RSS idle {idle / 1024:.0f} MB")
        print(f"{args.connections} connections x {args.megabytes} MB of DATA without the end...")
        peak, hanging, sent, elapsed, failures = asyncio.run(attack(port, proc.pid, args))
        if proc.poll() is not None:
            sys.exit(f"bench-abuse: Herald exited with {proc.returncode}")
        print(f"sent {sent / 1e6:.0f} MB in {elapsed:.1f} s; "
              f"{len(failures)} connection(s) failed" +
              (f" (first: {failures[0]!r})" if failures else ""))
        over = peak > args.stop_above * 1024
        print(f"RSS peak {'over ' if over else ''}{peak / 1024:.0f} MB, "
              f"{hanging / 1024:.0f} MB while hanging (goal: under {GOAL_MB} MB): "
              + ("met" if peak < GOAL_MB * 1024 else "MISSED"))
        # Each abandoned text is unlinked on the blocking pool once its connection sees the
        # end: 10 GB of files take a while to free.
        incoming = workdir / "var" / "spool" / "incoming"
        end = time.monotonic() + 120
        while True:
            left = list(incoming.iterdir()) if incoming.is_dir() else []
            if not left or time.monotonic() > end:
                break
            time.sleep(0.5)
        print(f"spool/incoming after the clients left: {len(left)} file(s)")
        return 0 if peak < GOAL_MB * 1024 else 1
    finally:
        stop_child(proc)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
