"""A mailbox provider's MX that throttles: it accepts `rate` messages a second per client IP
(a fixed one-second window per IP, the wall clock's whole seconds) and answers every message
beyond that, at the end of DATA, `421 4.7.28 ... rate limited` and closes the connection, as
the big providers do. Plain asyncio, one process, no TLS.

    python3 bench/throttling_receiver.py --listen 127.0.0.10:2525 --rate 20 --counts FILE

It counts accepted messages (and distinct ones, by Message-ID, should a sender deliver one
twice), 421 replies and connections, in all, per client IP and per second, and writes them as
JSON to FILE every --interval seconds (atomically: a reader never sees half a file) and once
more on SIGTERM or SIGINT, then exits. Without --counts, it prints them on stdout at exit."""
import argparse
import asyncio
import json
import os
import signal
import time
from collections import defaultdict

MAX_LINE = 1 << 20


class Counts:
    def __init__(self, rate):
        self.rate = rate
        self.started = time.time()
        self.accepted = 0
        self.rate_limited = 0
        self.connections = 0
        self.message_ids = set()
        self.first_accept = None
        self.last_accept = None
        self.last_new_accept = None  # when the last message not seen before was accepted
        self.per_ip = defaultdict(lambda: {"accepted": 0, "rate_limited": 0, "connections": 0,
                                           "max_per_second": 0})
        self.windows = {}  # ip -> [second, messages accepted in it]
        self.per_second = defaultdict(lambda: [0, 0])  # second since start -> [accepted, 421s]

    def admit(self, ip, message_id):
        """Whether a message from ip that reached the end of DATA now is accepted; counts it."""
        now = time.time()
        second = int(now)
        window = self.windows.get(ip)
        if window is None or window[0] != second:
            window = self.windows[ip] = [second, 0]
        slot = self.per_second[int(now - self.started)]
        if window[1] >= self.rate:
            self.rate_limited += 1
            self.per_ip[ip]["rate_limited"] += 1
            slot[1] += 1
            return False
        window[1] += 1
        self.accepted += 1
        ip_counts = self.per_ip[ip]
        ip_counts["accepted"] += 1
        ip_counts["max_per_second"] = max(ip_counts["max_per_second"], window[1])
        slot[0] += 1
        if self.first_accept is None:
            self.first_accept = now
        self.last_accept = now
        if message_id not in self.message_ids:
            self.message_ids.add(message_id)
            self.last_new_accept = now
        return True

    def as_json(self):
        attempts = self.accepted + self.rate_limited
        return {
            "rate_per_second": self.rate,
            "started": self.started,
            "accepted": self.accepted,
            "distinct_accepted": len(self.message_ids),
            "rate_limited": self.rate_limited,
            "rate_limited_share": self.rate_limited / attempts if attempts else 0.0,
            "connections": self.connections,
            "first_accept": self.first_accept,
            "last_accept": self.last_accept,
            "last_new_accept": self.last_new_accept,
            "per_ip": self.per_ip,
            "per_second": {str(k): v for k, v in sorted(self.per_second.items())},
        }


def reply(writer, line):
    writer.write(line.encode() + b"\r\n")


def message_id_of(data, fallback):
    for line in data.split(b"\r\n"):
        if not line:
            break  # the end of the header
        if line[:11].lower() == b"message-id:":
            return line[11:].strip().decode("ascii", "replace")
    return fallback


async def session(counts, hostname, reader, writer):
    ip = writer.get_extra_info("peername")[0]
    counts.connections += 1
    counts.per_ip[ip]["connections"] += 1
    mail_from, rcpts = None, []
    try:
        reply(writer, f"220 {hostname} ESMTP throttling receiver")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return
            command = line.rstrip(b"\r\n").decode("utf-8", "replace")
            verb = command[:4].upper()
            if verb == "EHLO":
                writer.write(f"250-{hostname}\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                             "250 SIZE 52428800\r\n".encode())
            elif verb == "HELO":
                reply(writer, f"250 {hostname}")
            elif verb == "MAIL":
                mail_from, rcpts = command[10:].strip(), []
                reply(writer, "250 2.1.0 ok")
            elif verb == "RCPT":
                if mail_from is None:
                    reply(writer, "503 5.5.1 MAIL first")
                else:
                    rcpts.append(command[8:].strip())
                    reply(writer, "250 2.1.5 ok")
            elif verb == "DATA":
                if not rcpts:
                    reply(writer, "503 5.5.1 RCPT first")
                    continue
                reply(writer, "354 go ahead")
                await writer.drain()
                data = bytearray()
                while True:
                    chunk = await reader.readline()
                    if not chunk:
                        return
                    if chunk in (b".\r\n", b".\n"):
                        break
                    data += chunk
                message_id = message_id_of(bytes(data), f"{mail_from} {rcpts}")
                if counts.admit(ip, message_id):
                    reply(writer, "250 2.0.0 ok queued")
                    mail_from, rcpts = None, []
                else:
                    reply(writer, f"421 4.7.28 [{ip}] rate limited: more than {counts.rate} "
                                  "messages a second from your IP, try again later")
                    await writer.drain()
                    return
            elif verb == "RSET":
                mail_from, rcpts = None, []
                reply(writer, "250 2.0.0 ok")
            elif verb == "NOOP":
                reply(writer, "250 2.0.0 ok")
            elif verb == "QUIT":
                reply(writer, "221 2.0.0 bye")
                await writer.drain()
                return
            else:
                reply(writer, "502 5.5.2 command not implemented")
            await writer.drain()
    except (ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


def dump(counts, path):
    text = json.dumps(counts.as_json())
    if path is None:
        print(text, flush=True)
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


async def serve(args):
    host, port = args.listen.rsplit(":", 1)
    counts = Counts(args.rate)
    server = await asyncio.start_server(
        lambda r, w: session(counts, args.hostname, r, w), host, int(port), limit=MAX_LINE,
        backlog=1024)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    async with server:
        while not stopping.is_set():
            if args.counts:
                dump(counts, args.counts)
            try:
                await asyncio.wait_for(stopping.wait(), args.interval)
            except asyncio.TimeoutError:
                pass
    dump(counts, args.counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="address:port")
    parser.add_argument("--rate", type=int, default=20, help="messages a second per client IP")
    parser.add_argument("--hostname", default="mx1.fleet.bigmail.test")
    parser.add_argument("--counts", help="write the counts here (JSON)")
    parser.add_argument("--interval", type=float, default=0.25,
                        help="seconds between two writes of --counts")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
