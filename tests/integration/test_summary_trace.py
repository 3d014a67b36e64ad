"""herald summary and herald trace over the logs of a real Herald: mail that is delivered
(null transport), deferred (a transport that cannot deliver) and bounced (a receiver that
answers 550), then the views read back; and both commands over a generated 100k-line log."""
import gzip
import json
import re
import shutil

import pytest

from herald_fixture import STUCK_PATH, message, queued_id, send

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ")


def routes(receiver_port):
    return {
        "transport": [
            {"name": "discard", "type": "null"},
            {"name": "stuck", "type": "maildir", "path": STUCK_PATH},
            {"name": "refusing", "type": "smtp", "host": "127.0.0.1", "port": receiver_port,
             "tls": "none"},
        ],
        "route": [
            {"sender": "*@stuck.test", "transport": "stuck"},
            {"sender": "*@bounce.test", "transport": "refusing"},
            {"sender": "*", "transport": "discard"},
        ],
        "queue": {"retry": ["1h"], "max_age": "5d"},
    }


@pytest.fixture
def relay(make_herald, smtp_receiver):
    """A Herald with mail of three senders in its logs: {'h', 'alice', 'bob', 'carol'}."""
    receiver = smtp_receiver(replies={"gone@example.net": [550]})
    h = make_herald(**routes(receiver.port))
    alice = [send(h, "alice@ok.test", [f"r{n}a@example.net", f"r{n}b@example.net"])
             for n in range(3)]
    # One session with a refused RCPT beside the accepted one: the rejection belongs to it.
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        assert s.mail("bob@stuck.test")[0] == 250
        assert s.rcpt("<>")[0] >= 500
        assert s.rcpt("later@example.net")[0] == 250
        code, text = s.data(message(sender="bob@stuck.test", to="later@example.net"))
        assert code == 250, text
        bob = queued_id(text)
    carol = send(h, "carol@bounce.test", ["gone@example.net"])
    for msg_id in alice:
        h.wait_for(lambda: h.completed(msg_id), what=f"{msg_id} Completed")
    h.wait_for(lambda: h.events(bob, "=="), what=f"{bob} deferred")
    h.wait_for(lambda: h.events(carol, "**"), what=f"{carol} bounced")
    h.wait_for_log(r'(?i)"rcpt TO:<>"', log="rejectlog")
    # The bounce of carol's message is a message too (from <>): let it finish first.
    dsn = h.wait_for_log(rf" {carol} bounce (\S+) queued").group(1)
    h.wait_for(lambda: h.completed(dsn), what=f"bounce {dsn} Completed")
    return {"h": h, "alice": alice, "bob": bob, "carol": carol}


def summary_json(h, *args):
    result = h.cli("summary", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_name(rows, key):
    return {row[key]: row for row in rows}


def test_summary_counts_per_sender_most_first(relay):
    h = relay["h"]
    data = summary_json(h)
    senders = data["senders"]
    assert senders[0]["sender"] == "alice@ok.test", senders
    rows = by_name(senders, "sender")
    alice = rows["alice@ok.test"]
    assert (alice["messages"], alice["recipients"], alice["delivered"]) == (3, 6, 6)
    assert alice["bounced"] == 0 and alice["deferred"] == 0 and alice["flags"] == []
    assert rows["bob@stuck.test"]["deferred"] >= 1
    assert rows["bob@stuck.test"]["delivered"] == 0
    assert rows["carol@bounce.test"]["bounced"] == 1
    assert [r["messages"] for r in senders] == sorted((r["messages"] for r in senders),
                                                      reverse=True)
    assert data["total"]["messages"] == sum(r["messages"] for r in senders)
    ips = by_name(data["client_ips"], "ip")
    assert ips["127.0.0.1"]["messages"] >= 5
    assert ips["127.0.0.1"]["distinct_senders"] >= 3
    assert data["users"] == []
    assert data["since"] is None


def test_summary_text_shows_the_same_most_first(relay):
    h = relay["h"]
    result = h.cli("summary")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    lines = out.splitlines()
    assert re.match(r"^\d+ messages, \d+ recipients: \d+ delivered, \d+ deferred, "
                    r"\d+ bounced$", lines[0]), lines[0]
    senders = lines[lines.index("senders:") + 2:]
    assert re.match(r"^\s+3\s+6\s+6\s+0\s+0\s+alice@ok\.test$", senders[0]), senders[0]
    assert "client ips:" in lines and "users:" in lines
    assert any(re.search(r"\s1\s+carol@bounce\.test$", l) for l in lines), out


def test_summary_sender_filter(relay):
    h = relay["h"]
    data = summary_json(h, "--sender", "ALICE@ok.test")
    assert [r["sender"] for r in data["senders"]] == ["alice@ok.test"]
    assert data["total"]["messages"] == 3
    data = summary_json(h, "--sender", "*@stuck.test")
    assert [r["sender"] for r in data["senders"]] == ["bob@stuck.test"]
    data = summary_json(h, "--sender", "nobody@nowhere.test")
    assert data["senders"] == [] and data["total"]["messages"] == 0


def test_summary_since_a_duration_or_a_time(relay):
    h = relay["h"]
    everything = summary_json(h)["total"]["messages"]
    recent = summary_json(h, "--since", "1h")
    assert recent["total"]["messages"] == everything
    assert STAMP.match(recent["since"] + " ")
    assert summary_json(h, "--since", "2000-01-01")["total"]["messages"] == everything
    future = summary_json(h, "--since", "2100-01-01T00:00:00Z")
    assert future["total"]["messages"] == 0 and future["senders"] == []


@pytest.mark.parametrize("args", [["--since", "yesterday"], ["--since", "2026-02-30"],
                                  ["--sender", "a b@x.test"], ["--bogus"]])
def test_summary_bad_arguments_exit_2_with_one_line(relay, args):
    result = relay["h"].cli("summary", *args)
    assert result.returncode == 2, result
    err = result.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and err.startswith("herald:"), err
    assert result.stdout == b""


def test_summary_without_a_mainlog_is_an_error(relay, tmp_path):
    empty = tmp_path / "no-logs-here"
    empty.mkdir()
    result = relay["h"].cli("summary", "--log-dir", str(empty))
    assert result.returncode == 1
    assert "no mainlog" in result.stderr.decode()


def test_summary_reads_rotated_and_gzipped_logs(relay):
    h = relay["h"]
    before = summary_json(h)
    h.stop()  # nothing writes the mainlog while it is moved
    log = h.log_dir / "mainlog"
    lines = log.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    with gzip.open(h.log_dir / "mainlog.2.gz", "wb") as out:
        out.writelines(lines[:half // 2])
    (h.log_dir / "mainlog.1").write_bytes(b"".join(lines[half // 2:half]))
    log.write_bytes(b"".join(lines[half:]))
    assert summary_json(h) == before


def timestamps(lines):
    return [STAMP.match(line).group(1) for line in lines]


def test_trace_by_id_gives_every_line_in_order(relay):
    h = relay["h"]
    msg_id = relay["alice"][0]
    result = h.cli("trace", msg_id)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines == h.events(msg_id), (lines, h.events(msg_id))
    assert f" {msg_id} <= alice@ok.test " in lines[0]
    assert lines[-1].endswith(f" {msg_id} Completed")
    assert len([l for l in lines if " => " in l]) == 2
    assert timestamps(lines) == sorted(timestamps(lines))


def test_trace_by_id_includes_the_rejections_of_its_session(relay):
    h = relay["h"]
    result = h.cli("trace", relay["bob"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    rejected = [l for l in lines if "rejected:" in l]
    assert len(rejected) == 1 and "TO:<>" in rejected[0].upper(), lines
    assert lines.index(rejected[0]) < lines.index(h.events(relay["bob"], "<=")[0])
    assert timestamps(lines) == sorted(timestamps(lines))


def test_trace_by_recipient_starts_at_the_arrival(relay):
    h = relay["h"]
    msg_id = relay["alice"][1]
    result = h.cli("trace", "<R1B@example.net>")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines == h.events(msg_id)
    data = json.loads(h.cli("trace", "--json", "r1b@example.net").stdout)
    assert [entry["line"] for entry in data] == lines
    assert {entry["log"] for entry in data} == {"mainlog"}


def test_trace_by_sender_finds_the_bounce_too(relay):
    h = relay["h"]
    result = h.cli("trace", "carol@bounce.test")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert any(f" {relay['carol']} ** gone@example.net " in l for l in lines), lines
    assert all(relay["alice"][0] not in l for l in lines)


def test_trace_of_nothing_known_exits_1(relay):
    h = relay["h"]
    result = h.cli("trace", "nobody@nowhere.test")
    assert result.returncode == 1
    assert result.stdout == b""
    assert "nothing in the logs matches" in result.stderr.decode()
    bad = h.cli("trace", "two words")
    assert bad.returncode == 2 and len(bad.stderr.decode().strip().splitlines()) == 1


# -- a generated log: 20,000 messages, 100,000 lines, rotated and gzip'd -------------------

def generated_log(directory):
    """Writes the log; returns the expected totals."""
    totals = {"messages": 0, "recipients": 0, "delivered": 0, "deferred": 0, "bounced": 0}
    lines = []
    for n in range(20000):
        ts = f"2026-11-22T{n // 3600 % 24:02}:{n // 60 % 60:02}:{n % 60:02}.000Z"
        msg_id = f"g{n:019}"
        user = f" A=user{n % 4}" if n % 3 == 0 else ""
        lines.append(f"{ts} {msg_id} <= sender{n % 7}@example.com H=c.example "
                     f"[192.0.2.{n % 13}] P=esmtp S=100{user} R=2 T=\"subject {n}\"\n")
        lines.append(f"{ts} {msg_id} => a{n}@example.net T=mx H=mx.example C=\"250 ok\"\n")
        if n % 4 == 0:
            lines.append(f"{ts} {msg_id} == b{n}@example.org T=mx defer=\"451 later\"\n")
            totals["deferred"] += 1
        elif n % 4 == 1:
            lines.append(f"{ts} {msg_id} ** b{n}@example.org T=mx \"550 unknown\"\n")
            totals["bounced"] += 1
        else:
            lines.append(f"{ts} {msg_id} => b{n}@example.org T=mx C=\"250 ok\"\n")
            totals["delivered"] += 1
        lines.append(f"{ts} {msg_id} Completed\n")
        lines.append(f"{ts} - note {n}\n")
        totals["messages"] += 1
        totals["recipients"] += 2
        totals["delivered"] += 1
    assert len(lines) == 100000
    directory.mkdir()
    with gzip.open(directory / "mainlog.2.gz", "wt") as out:
        out.writelines(lines[:40000])
    (directory / "mainlog.1").write_text("".join(lines[40000:70000]))
    (directory / "mainlog").write_text("".join(lines[70000:]))
    return totals


def test_summary_and_trace_over_a_generated_100k_line_log(relay, tmp_path):
    h = relay["h"]
    logs = tmp_path / "generated"
    totals = generated_log(logs)
    data = summary_json(h, "--log-dir", str(logs))
    assert data["total"] == totals
    assert len(data["senders"]) == 7 and len(data["users"]) == 4
    assert len(data["client_ips"]) == 13
    assert sum(r["messages"] for r in data["senders"]) == 20000
    assert data["damaged_lines"] == 0
    result = h.cli("trace", "--log-dir", str(logs), "b12345@example.org")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 4 and all(f" g{12345:019} " in l for l in lines), lines
