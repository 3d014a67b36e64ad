"""The command line itself: --version, help, bad arguments exit 2 with one line."""
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from herald_fixture import HERALD_BIN, wait_for


def run(*args, timeout=30):
    return subprocess.run([HERALD_BIN, *args], capture_output=True, text=True, timeout=timeout)


def test_version_names_the_commit_it_was_built_from(herald_bin):
    result = run("--version")
    assert result.returncode == 0
    m = re.fullmatch(r"herald (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12})(-dirty)?\)\n", result.stdout)
    assert m, result.stdout
    # The binary under test was built from this source tree (make test builds it first).
    source = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "-C", str(source), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode == 0:
        assert m.group(2) == head.stdout.strip(), (result.stdout, head.stdout)
    cmake = (source / "CMakeLists.txt").read_text()
    assert f"project(herald VERSION {m.group(1)} " in cmake


def test_the_start_line_names_the_version(make_herald):
    h = make_herald()
    version = run("--version").stdout.strip()
    assert f"{version} started" in h.mainlog(), h.mainlog()


def test_help_for_a_command(herald_bin):
    result = run("help", "queue")
    assert result.returncode == 0
    assert "list" in result.stdout


@pytest.mark.parametrize("args", [
    [], ["--frobnicate"], ["no-such-command"], ["serve", "--bogus-flag"],
    ["check-config", "--config"], ["help", "no-such-command"], ["queue", "list", "extra"],
])
def test_bad_arguments_exit_2_with_one_line(herald_bin, args, tmp_path):
    result = subprocess.run([HERALD_BIN, *args], capture_output=True, text=True, timeout=30,
                            cwd=tmp_path)
    assert result.returncode == 2, (args, result.returncode, result.stdout, result.stderr)
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, (args, result.stderr)


def test_sigterm_stops_serve_cleanly(make_herald):
    h = make_herald()
    assert "listening on 127.0.0.1:" in h.stdout()
    assert f"127.0.0.1:{h.port()} (relay)" in h.stdout()
    assert h.stop() == 0


def test_two_listener_modes_are_reported(make_herald):
    h = make_herald(listeners=("relay", "submission", "submissions"))
    out = h.stdout()
    for mode in ("relay", "submission", "submissions"):
        assert re.search(rf"127\.0\.0\.1:{h.port(mode)} \({mode}[,)]", out), out


def test_port_in_use_fails_at_start(make_herald, tmp_path):
    first = make_herald()
    second = make_herald(start=False)
    second.listeners = first.listeners
    second.config["listener"] = first.config["listener"]
    second.write_config()
    proc = subprocess.run([HERALD_BIN, "serve", "--allow-root", "--config", str(second.config_path),
                           "--foreground"], cwd=second.dir, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0
    assert str(first.port()) in proc.stderr, proc.stderr


def test_serve_without_foreground_detaches_once_ready(make_herald):
    h = make_herald(start=False)
    result = subprocess.run([HERALD_BIN, "serve", "--allow-root", "--config", str(h.config_path)], cwd=h.dir,
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"running as pid (\d+)", result.stdout)
    pid = int(match.group(1)) if match else None
    try:
        assert result.returncode == 0, result.stderr
        assert f"127.0.0.1:{h.port()}" in result.stdout, result.stdout
        with h.smtp() as s:  # ready as soon as the parent returned
            assert s.ehlo("client.herald.test")[0] == 250
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: gone(pid), what="the daemon to exit")


def gone(pid):
    """True once pid has exited (a zombie counts: our init may be slow to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_sigterm_as_soon_as_the_ports_accept_exits_0(make_herald):
    """Ready means the ports accept connections; from then on SIGTERM must be a clean stop,
    not the default action of the signal (exit -15)."""
    h = make_herald(start=False)
    codes = []
    for _ in range(30):
        h.start()
        codes.append(h.stop())
    assert codes == [0] * len(codes), codes
