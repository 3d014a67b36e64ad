"""Log rotation (herald logrotate, SIGUSR1, log_rotate_size): generations shift, no line is
lost, and herald summary still counts every message across them."""
import json
import signal

from herald_fixture import message, queued_id, wait_for

RELAY = {"networks": ["127.0.0.0/8"]}


def read_if_there(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def send(h, n, tag):
    ids = []
    with h.smtp() as s:
        s.ehlo("client.herald.test")
        for i in range(n):
            s.mail(f"{tag}@client.herald.test")
            s.rcpt("someone@example.net")
            code, text = s.data(message(sender=f"{tag}@client.herald.test", subject=f"{tag} {i}"))
            assert code == 250
            ids.append(queued_id(text))
    return ids


def test_logrotate_command_shifts_generations_without_losing_lines(make_herald):
    h = make_herald(relay=RELAY)
    first = send(h, 3, "before")
    for msg_id in first:
        h.wait_for(lambda: h.completed(msg_id), what="completion")
    result = h.cli("logrotate")
    assert result.returncode == 0, result.stderr
    assert b"ok logs rotated" in result.stdout
    second = send(h, 2, "after")
    for msg_id in second:
        h.wait_for(lambda: h.completed(msg_id), what="completion")
    old = (h.log_dir / "mainlog.1").read_text()
    new = (h.log_dir / "mainlog").read_text()
    assert all(f"{i} <= " in old for i in first) and not any(i in new for i in first)
    assert all(f"{i} <= " in new for i in second)
    assert (h.log_dir / "rejectlog.1").exists() or not (h.log_dir / "rejectlog").stat().st_size
    summary = json.loads(h.cli("summary", "--json").stdout)
    assert summary["total"]["messages"] == 5, summary["total"]


def test_sigusr1_rotates_and_keep_limits_the_generations(make_herald):
    h = make_herald(relay=RELAY, server={"log_keep": 2})
    for round_ in range(4):
        send(h, 1, f"round{round_}")
        h.proc.send_signal(signal.SIGUSR1)
        # Rotated once this round's arrival has moved on to mainlog.1.
        wait_for(lambda: f"round{round_}@" in read_if_there(h.log_dir / "mainlog.1"),
                 what=f"rotation {round_}")
    assert (h.log_dir / "mainlog.1").exists() and (h.log_dir / "mainlog.2").exists()
    assert not (h.log_dir / "mainlog.3").exists()
