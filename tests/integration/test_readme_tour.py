"""The README's five-minute tour, run as written on a fresh clone: its shell blocks are read
from README.md and each command is run in a copy of the repository's config, with
`build/herald` the binary under test. The few commands a test cannot run as they stand (the
ones that install, follow a file for ever, change the system, or ask the public DNS) are
listed below: a tour line that is neither run nor listed fails the test, so the README cannot
drift from what works."""
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from herald_fixture import HERALD_BIN, wait_for

REPO = Path(__file__).resolve().parents[2]
TOUR_PORTS = (2525, 2587)

# Lines of the tour that a test does not run as written, and why.
NOT_RUN = {
    "make run": "started below as make run starts it: build/herald serve --config ... --foreground",
    "tail -f var/log/mainlog": "follows the log for ever; the test reads it instead",
    'ln -s "$PWD/build/herald" /usr/local/sbin/sendmail': "changes the system",
    "build/herald doctor --domain example.com": "asks the public DNS",
    "build/herald spf check": "asks the public DNS",
    "build/herald dmarc check": "asks the public DNS",
    "build/herald dkim verify < message.eml": "needs a message of the reader's",
    "build/herald suppress import list.csv": "needs a list of the reader's",
    "build/herald doctor --bulk": "asks the public DNS",
    "curl -H": "needs [admin] http, which the default config leaves off",
}


def tour_blocks(section_end="## Measuring it"):
    """The ```sh blocks and ```toml blocks of the tour, in order, as (language, text)."""
    text = (REPO / "README.md").read_text()
    tour = text[text.index("## A five-minute tour"):text.index(section_end)]
    return re.findall(r"```(sh|toml)\n(.*?)```", tour, re.S)


def commands(block):
    """Each command of a shell block, its continuation lines joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    for line in joined.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command:
            yield command


def not_run(command):
    return next((why for prefix, why in NOT_RUN.items() if command.startswith(prefix)), None)


@pytest.fixture
def clone(tmp_path):
    """A fresh clone as far as the tour can tell: the config, and build/herald."""
    for port in TOUR_PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                pytest.fail(f"port {port}, which the default config listens on, is in use")
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "herald").symlink_to(HERALD_BIN)
    return tmp_path


def run(clone, command):
    result = subprocess.run(["bash", "-c", "set -eo pipefail; " + command], cwd=clone,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


def test_the_tour_runs_as_written(clone):
    server = subprocess.Popen([str(clone / "build" / "herald"), "serve", "--config",
                               "config/herald.toml", "--foreground", "--allow-root"], cwd=clone,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: all(socket.socket().connect_ex(("127.0.0.1", p)) == 0
                             for p in TOUR_PORTS), what="the tour's listeners")
        ran, skipped = [], []
        for language, block in tour_blocks():
            if language == "toml":
                add_to_config(clone, block)
                continue
            for command in commands(block):
                if not_run(command):
                    skipped.append(command)
                    continue
                ran.append((command, run(clone, command)))
        outputs = dict(ran)
        # What the tour says the reader sees.
        swaks = next(out for cmd, out in ran if cmd.startswith("swaks"))
        assert re.search(r"250 2\.0\.0 Ok: queued as \S+", swaks), swaks
        mainlog = outputs["cat var/log/mainlog"]
        assert " <= app@example.com" in mainlog and "T=discard" in mainlog, mainlog
        assert "Completed" in mainlog, mainlog
        assert "empty" in outputs["build/herald queue list"].lower()
        keygen = next(out for cmd, out in ran if cmd.startswith("build/herald dkim keygen"))
        assert "s1._domainkey.example.com" in keygen, keygen
        assert (clone / "keys" / "example.com.s1.key").stat().st_mode & 0o077 == 0
        reload = next(out for cmd, out in ran if "reload" in cmd and "check-config" in cmd)
        assert "OK" in reload and "ok reloaded" in reload, reload
        # Every line was run or is listed with its reason.
        assert {c for c, _ in ran} and all(not_run(c) for c in skipped)
        assert any(c.startswith("make run") for c in skipped)
    finally:
        server.terminate()
        server.wait(timeout=30)


def add_to_config(clone, block):
    """The tour's TOML goes into config/herald.toml as it says: its routes replace the default
    one to `discard`, which would otherwise take every sender first."""
    config = clone / "config" / "herald.toml"
    text = config.read_text()
    if "[[route]]" in block:
        text = re.sub(r'\[\[route\]\]\nsender = "\*"\ntransport = "discard"\n', "", text)
    config.write_text(text + "\n" + block)
