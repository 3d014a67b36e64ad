"""Crash points (issue 23): under a continuous load, Herald is killed (SIGKILL, by
fault_shim.c) just before or just after its Nth fdatasync, fsync, syncfs, rename or unlink,
N and before/after drawn at random, HERALD_CRASH_POINTS times in a row, each start
recovering what the last kill left. Then, the load stopped and Herald running without the
shim until its queue drains, what the receiver got is reconciled with what the clients were
told: every acknowledged message arrived; nothing arrived that was never sent; a message
arrived without its 250 only when a kill lost that reply; a message arrived again only when
a kill fell between the receiver's 250 and the flush that records it (never once the
mainlog said `=>`, and no more often than the deliveries in flight at the crashes allow);
and no crash left a half-written file in queue/ (recovery would have moved it to corrupt/).

SIGKILL tests what a crash of the process leaves (the page cache survives it), not what a
power cut leaves."""
import bisect
import collections
import datetime
import os
import random
import re
import select
import signal
import time

import pytest

from fault_injection import FaultShim, fault_shim  # noqa: F401 (the fixture)
from herald_fixture import HeraldExited
from load_clients import Load, arrivals

POINTS = int(os.environ.get("HERALD_CRASH_POINTS", "500"))  # `make soak`: 5000
SEED = int(os.environ.get("HERALD_CRASH_SEED", "23"))
CLIENTS = 4
# Each client's pause between messages: the load stays below what the sink takes, so the
# queue, and with it the recovery at each start, does not grow over the run.
PAUSE = 0.03
# The sink transport's max_connections. A connection takes its next message as soon as the
# receiver's 250 comes, before that outcome is flushed (an outcome may wait 3 ms to share an
# acceptance's flush), so a crash cuts off, on each connection, the delivery on the wire and
# often the one before it: IN_FLIGHT. A flush slower
# than a transaction lets more pile up (up to the 64 messages in delivery at once; 5000
# points saw 4 after one crash), so the bound is checked over all crashes, not each one.
CONNECTIONS = 2
IN_FLIGHT = 2 * CONNECTIONS
# N is drawn from 1..HIGHEST_CALL: the start-up's dozen counted calls (recovery, the journal,
# the suppression list), then the flushes of the load, some 200 a second, so that a point
# costs about 0.2 s and 500 of them fit in `make test`.
HIGHEST_CALL = 50
# A point not reached by then is a miss: Herald is killed (a crash all the same).
MISS_AFTER = 3.0
# With no [[user]], Herald computes a yescrypt decoy hash at every start (0.1 s of CPU); a
# user with a SHA-crypt hash (of a password nobody sends) spares that.
CHEAP_START = [{"name": "nobody", "password_hash":
                "$5$crashpoints$iFxhML/qA1NwMhBBhrvZ5HIW.WnBKd7WdZgVDqEVGj9"}]
# A mainlog delivery line: "2026-12-04T14:24:16.470Z <queue id> => reader@example.net ..."
DELIVERED = re.compile(r"^(\S+) (\S+) => ", re.M)


class CrashRecord:
    """The points tried, in order, how each ended and when each Herald started; every point
    is logged as it ends, for a post-mortem."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.kills = []  # (when, call number, function) of each kill by the shim
        self.misses = 0
        self.starts = []  # time.time() before each start
        self.seconds = 0.0  # how long the points took

    def note(self, call, when, kill):
        if kill is None:
            self.misses += 1
        else:
            self.kills.append(kill)
        outcome = f"killed at {kill[2]}" if kill else "missed"
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"{self.crashes()} N={call} {when}: {outcome}\n")

    def crashes(self):
        return len(self.kills) + self.misses

    def summary(self):
        whens = collections.Counter(when for when, _, _ in self.kills)
        functions = collections.Counter(function for _, _, function in self.kills)
        by_function = ", ".join(f"{name} {count}" for name, count in functions.most_common())
        return (f"{len(self.kills)} points fired ({whens['before']} before, "
                f"{whens['after']} after; {by_function}), {self.misses} missed, "
                f"in {self.seconds:.0f} s")

    def replay(self):
        return f"(HERALD_CRASH_SEED={SEED}; the points tried are in {self.log_path})"


def crash_once(h, shim, call, when):
    """Starts Herald under the shim and waits for it to die; the shim's kill (when, number,
    function), or None when Herald lived MISS_AFTER seconds (and was then killed)."""
    try:
        h.start(env=shim.crash_at(call, when))
    except HeraldExited as exited:  # killed during its start-up
        return kill_by_shim(h, exited.returncode)
    code = exit_status_within(h.proc, MISS_AFTER)
    h.kill9()  # forgets the process that died, or kills the one that missed its point
    return None if code is None else kill_by_shim(h, code)


def exit_status_within(proc, seconds):
    """proc's exit status if it exits within `seconds`, else None. A pidfd wakes us the
    moment it exits: Popen.wait polls every 50 ms, a quarter of what a point costs."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        exited, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    return proc.wait() if exited else None


def kill_by_shim(h, code):
    kill = FaultShim.kill_in(h.stderr())
    assert code == -signal.SIGKILL and kill, \
        f"herald exited with {code}, not killed by the shim; stderr:\n{h.stderr()}"
    return kill


def crash_repeatedly(h, shim, record, rng):
    """Crash points in a row until POINTS of them fired."""
    began = time.monotonic()
    while len(record.kills) < POINTS:
        assert record.misses <= POINTS // 10 + 5, \
            f"{record.misses} points missed: HIGHEST_CALL is too high for this load"
        call, when = rng.randint(1, HIGHEST_CALL), rng.choice(("before", "after"))
        record.starts.append(time.time())
        record.note(call, when, crash_once(h, shim, call, when))
    record.seconds = time.monotonic() - began


def repeats_by_life(arrived, starts):
    """{i: how many copies delivered by the Herald started at starts[i] were delivered again
    later}: the deliveries whose outcome its end cut off."""
    last, repeats = {}, collections.Counter()
    for arrival in arrived:
        if arrival.seq in last:
            repeats[bisect.bisect_right(starts, last[arrival.seq]) - 1] += 1
        last[arrival.seq] = arrival.at
    return repeats


def delivered_after_logged(arrived, mainlog):
    """X-Seqs of copies that arrived after the mainlog said `=>` for their queue id. That
    line is written once the outcome is durable, so no copy may come later; 1 ms of slack
    for the line's time, which is cut to the millisecond."""
    logged = {}
    for when, queue_id in DELIVERED.findall(mainlog):
        at = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ")
        logged.setdefault(queue_id, at.replace(tzinfo=datetime.timezone.utc).timestamp())
    return sorted(a.seq for a in arrived
                  if a.queue_id in logged and a.at > logged[a.queue_id] + 0.001)


@pytest.mark.allow_panic  # recovery notes the unfinished writes it removed
def test_kills_at_random_flush_calls_lose_no_acknowledged_message(
        make_herald, smtp_receiver, fault_shim, tmp_path):  # noqa: F811 (the fixture)
    print(f"crash points: HERALD_CRASH_SEED={SEED} HERALD_CRASH_POINTS={POINTS}")
    receiver = smtp_receiver()
    h = make_herald(start=False, user=CHEAP_START,
                    transport=[{"name": "sink", "type": "smtp", "host": "127.0.0.1",
                                "port": receiver.port, "tls": "none",
                                "max_connections": CONNECTIONS}],
                    route=[{"sender": "*", "transport": "sink"}],
                    queue={"retry": ["1s"], "max_age": "1d"})
    record = CrashRecord(tmp_path / "crash_points.log")
    with Load(h.port(), clients=CLIENTS, pause=PAUSE, reconnect_after=0.01) as load:
        crash_repeatedly(h, fault_shim, record, random.Random(SEED))
    record.starts.append(time.time())
    h.start()
    h.wait_for(lambda: not h.queue_ids(), timeout=300, what="the queue to drain")
    arrived = arrivals(receiver)
    check_deliveries(set(load.acked), set(load.sent), arrived, record)
    again = delivered_after_logged(arrived, h.mainlog())
    assert not again, f"delivered again after the mainlog said =>: {again} {record.replay()}"
    corrupt = sorted(p.name for p in (h.spool_dir / "corrupt").iterdir())
    assert not corrupt, f"recovery found half-written queue files: {corrupt} {record.replay()}"


def check_deliveries(acked, sent, arrived, record):
    """What the receiver got (arrived: Arrivals in order), against what the clients were told
    and the crashes in between."""
    unique = {arrival.seq for arrival in arrived}
    repeats = repeats_by_life(arrived, record.starts)
    worst = max(repeats.values(), default=0)
    print(f"crash points: {record.summary()}; {len(acked)} acknowledged, {len(unique)} "
          f"arrived ({len(unique - acked)} without their 250), {sum(repeats.values())} "
          f"duplicates (at most {worst} after one crash); seed {SEED}")
    replay = record.replay()
    assert acked <= unique, f"acknowledged, never delivered: {sorted(acked - unique)} {replay}"
    assert unique <= sent, f"delivered, never sent: {sorted(unique - sent)} {replay}"
    # A 250 lost in flight: at most one transaction per client was open at each crash.
    assert len(unique - acked) <= CLIENTS * record.crashes(), \
        f"delivered without a 250: {sorted(unique - acked)} {replay}"
    clean_life = len(record.starts) - 1
    assert repeats[clean_life] == 0, f"delivered twice without a crash {replay}"
    assert sum(repeats.values()) <= IN_FLIGHT * record.crashes(), \
        f"{sum(repeats.values())} duplicates after {record.crashes()} crashes {replay}"
